"""Maplewood Commons maintenance desk: tenants, units, maintenance requests and technician schedules.

A property manager's maintenance desk for the tenants of an apartment complex. Tenants are verified
by unit number, last name and the last 4 digits of their phone number; they report problems
(plumbing, electrical, appliance, HVAC, pest, locks), book technician time slots, reschedule or
cancel appointments, and check the status of their requests. Emergencies are dispatched to the
on-call technician instead of being booked into a slot. "Today" is a fixed date in the state.
"""

from __future__ import annotations

import datetime as _dt
from typing import Literal

from pydantic import Field

from tools_registry import Toolkit, require, tool
from tools_registry.authoring import StateModel

Category = Literal["plumbing", "electrical", "appliance", "HVAC", "pest", "locks"]
Priority = Literal["emergency", "urgent", "routine"]
Status = Literal["open", "scheduled", "dispatched", "completed", "cancelled"]
Payer = Literal["landlord", "tenant"]
Issue = Literal[
    "gas_smell",
    "leak_or_flooding",
    "clogged_toilet",
    "running_toilet",
    "slow_drain",
    "dripping_faucet",
    "no_hot_water",
    "outlet_not_working",
    "sparking_or_burning_smell",
    "light_fixture_flickering",
    "breaker_tripping",
    "refrigerator_not_cooling",
    "dishwasher_not_draining",
    "dryer_not_heating",
    "washer_not_working",
    "garbage_disposal_jammed",
    "oven_or_range_not_working",
    "no_heat",
    "heating_weak",
    "thermostat_not_working",
    "ac_not_cooling",
    "ants",
    "mice",
    "cockroaches",
    "bed_bugs",
    "lockout",
    "lock_broken",
    "key_replacement",
]
CancelReason = Literal["issue_resolved", "no_longer_needed", "duplicate_request", "moving_out"]

ISSUES_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "plumbing": (
        "gas_smell",
        "leak_or_flooding",
        "clogged_toilet",
        "running_toilet",
        "slow_drain",
        "dripping_faucet",
        "no_hot_water",
    ),
    "electrical": ("outlet_not_working", "sparking_or_burning_smell", "light_fixture_flickering", "breaker_tripping"),
    "appliance": (
        "refrigerator_not_cooling",
        "dishwasher_not_draining",
        "dryer_not_heating",
        "washer_not_working",
        "garbage_disposal_jammed",
        "oven_or_range_not_working",
    ),
    "HVAC": ("no_heat", "heating_weak", "thermostat_not_working", "ac_not_cooling"),
    "pest": ("ants", "mice", "cockroaches", "bed_bugs"),
    "locks": ("lockout", "lock_broken", "key_replacement"),
}

ACTIVE = ("open", "scheduled")


class Tenant(StateModel):
    tenant_id: str = Field(description="Tenant id, e.g. 'TEN-1001'.")
    first_name: str = Field(description="First name.")
    last_name: str = Field(description="Last name as on the lease.")
    unit_id: str = Field(description="Unit the tenant leases, e.g. 'A-101'.")
    phone: str = Field(description="Phone number on file.")
    email: str = Field(description="Email address on file.")


class Unit(StateModel):
    unit_id: str = Field(description="Unit number: building letter, floor and number, e.g. 'B-204'.")
    building: str = Field(description="Building letter.")
    bedrooms: int = Field(description="Number of bedrooms.")
    bathrooms: int = Field(description="Number of bathrooms.")
    heating: str = Field(description="Heating system of the unit.")
    appliances: list[str] = Field(default_factory=list, description="Landlord-supplied appliances.")
    pets: str | None = Field(default=None, description="Pets registered on the lease, if any.")
    lease_end: str = Field(description="Lease end date (YYYY-MM-DD).")
    tenant_ids: list[str] = Field(default_factory=list, description="Tenants on the lease.")


class Technician(StateModel):
    technician_id: str = Field(description="Technician id, e.g. 'T-101'.")
    name: str = Field(description="Full name.")
    company: str = Field(description="Employer (in-house staff or a contracted vendor).")
    skills: list[Category] = Field(description="Request categories the technician is qualified for.")
    on_call_for: list[Category] = Field(default_factory=list, description="Categories they cover for emergencies.")
    on_call_eta_minutes: int = Field(default=60, description="Arrival time for an emergency dispatch, in minutes.")


class Slot(StateModel):
    slot_id: str = Field(description="Slot id, e.g. 'SL-0311-101-0800'.")
    technician_id: str = Field(description="Technician working the slot.")
    date: str = Field(description="Date (YYYY-MM-DD).")
    window: str = Field(description="Arrival window, e.g. '08:00-10:00'.")
    request_id: str | None = Field(default=None, description="Request booked into the slot; null = free.")


class MaintenanceRequest(StateModel):
    request_id: str = Field(description="Request id, e.g. 'MR-24871'.")
    unit_id: str = Field(description="Unit the request is for.")
    tenant_id: str = Field(description="Tenant who reported it.")
    category: Category = Field(description="Trade category.")
    issue: Issue = Field(description="Issue type within the category.")
    priority: Priority = Field(description="emergency, urgent or routine.")
    status: Status = Field(description="open, scheduled, dispatched, completed or cancelled.")
    created_on: str = Field(description="Date reported (YYYY-MM-DD).")
    permission_to_enter: bool = Field(default=False, description="Technician may enter when nobody is home.")
    billable_to: Payer = Field(default="landlord", description="Who pays: landlord (lease-covered) or tenant.")
    charge_amount: float = Field(default=0.0, description="Service charge billed to the tenant, USD.")
    slot_id: str | None = Field(default=None, description="Booked appointment slot, if any.")
    technician_id: str | None = Field(default=None, description="Assigned technician, if any.")
    cancel_reason: CancelReason | None = Field(default=None, description="Why it was cancelled.")


class MaintenanceState(StateModel):
    today: str = Field(description="Today's date (YYYY-MM-DD).")
    property_name: str = Field(description="Name of the apartment complex.")
    max_active_requests: int = Field(
        default=3, description="Most active (open or scheduled) non-emergency requests per unit."
    )
    tenant_charges: dict[str, float] = Field(
        description="Flat service charge per category for tenant-caused damage, USD."
    )
    next_request_number: int = Field(description="Number used for the next request id.")
    tenants: dict[str, Tenant] = Field(default_factory=dict, description="Tenants by id.")
    units: dict[str, Unit] = Field(default_factory=dict, description="Units by unit number.")
    technicians: dict[str, Technician] = Field(default_factory=dict, description="Technicians by id.")
    slots: dict[str, Slot] = Field(default_factory=dict, description="Technician time slots by id.")
    requests: dict[str, MaintenanceRequest] = Field(default_factory=dict, description="Maintenance requests by id.")


def _weekday(date: str) -> str:
    return _dt.date.fromisoformat(date).strftime("%A")


class HomeMaintenanceToolkit(Toolkit):
    State = MaintenanceState
    state: MaintenanceState

    # ----- helpers (not tools) -----

    def _request(self, request_id: str) -> MaintenanceRequest:
        req = self.state.requests.get(request_id)
        require(req is not None, f"request {request_id} not found")
        return req

    def _slot_view(self, slot: Slot) -> dict:
        tech = self.state.technicians[slot.technician_id]
        return {
            "slot_id": slot.slot_id,
            "date": slot.date,
            "weekday": _weekday(slot.date),
            "window": slot.window,
            "technician_id": tech.technician_id,
            "technician": tech.name,
        }

    def _request_view(self, req: MaintenanceRequest) -> dict:
        out = {
            "request_id": req.request_id,
            "unit_id": req.unit_id,
            "category": req.category,
            "issue": req.issue,
            "priority": req.priority,
            "status": req.status,
            "created_on": req.created_on,
            "permission_to_enter": req.permission_to_enter,
            "billable_to": req.billable_to,
            "charge_amount": req.charge_amount,
            "appointment": None,
            "technician": None,
        }
        if req.slot_id:
            out["appointment"] = self._slot_view(self.state.slots[req.slot_id])
        if req.technician_id:
            out["technician"] = self.state.technicians[req.technician_id].name
        if req.cancel_reason:
            out["cancel_reason"] = req.cancel_reason
        return out

    def _check_slot(self, req: MaintenanceRequest, slot_id: str) -> Slot:
        slot = self.state.slots.get(slot_id)
        require(slot is not None, f"slot {slot_id} not found")
        require(slot.request_id is None, f"slot {slot_id} is already booked")
        require(slot.date > self.state.today, "appointments must be booked at least one day ahead")
        tech = self.state.technicians[slot.technician_id]
        require(req.category in tech.skills, f"{tech.name} is not qualified for {req.category} work")
        return slot

    # ----- read tools -----

    @tool
    def verify_tenant(self, unit_id: str, last_name: str, phone_last4: str) -> dict:
        """Verify a caller's identity against the lease records and return their tenant id.

        Args:
            unit_id: The caller's unit number, e.g. "B-204".
            last_name: The caller's last name as on the lease.
            phone_last4: The last 4 digits of the caller's phone number on file.
        """
        unit = self.state.units.get(unit_id.strip().upper())
        require(unit is not None, "tenant verification failed")
        for tid in unit.tenant_ids:
            t = self.state.tenants[tid]
            digits = "".join(ch for ch in t.phone if ch.isdigit())
            if t.last_name.lower() == last_name.strip().lower() and digits[-4:] == phone_last4.strip():
                return {
                    "verified": True,
                    "tenant_id": t.tenant_id,
                    "name": f"{t.first_name} {t.last_name}",
                    "unit_id": t.unit_id,
                }
        require(False, "tenant verification failed")
        return {}

    @tool
    def get_unit_details(self, unit_id: str) -> dict:
        """Get a unit's details: layout, heating, supplied appliances, registered pets and lease end.

        Args:
            unit_id: The unit number, e.g. "A-203".
        """
        unit = self.state.units.get(unit_id)
        require(unit is not None, f"unit {unit_id} not found")
        out = unit.model_dump(mode="json")
        out["tenants"] = [
            f"{self.state.tenants[t].first_name} {self.state.tenants[t].last_name}" for t in unit.tenant_ids
        ]
        return out

    @tool
    def list_requests(self, unit_id: str, status: Status | None = None) -> list[dict]:
        """List a unit's maintenance requests, newest first, optionally only those with one status.

        Args:
            unit_id: The unit number, e.g. "C-102".
            status: Only requests with this status; omit for all requests of the unit.
        """
        require(unit_id in self.state.units, f"unit {unit_id} not found")
        reqs = [
            r for r in self.state.requests.values() if r.unit_id == unit_id and (status is None or r.status == status)
        ]
        reqs.sort(key=lambda r: (r.created_on, r.request_id), reverse=True)
        return [self._request_view(r) for r in reqs]

    @tool
    def get_request(self, request_id: str, unit_id: str) -> dict:
        """Get one maintenance request of a unit, with its status and appointment.

        Args:
            request_id: The request id, e.g. "MR-24871".
            unit_id: The unit the request belongs to (the verified tenant's unit).
        """
        req = self.state.requests.get(request_id)
        require(req is not None and req.unit_id == unit_id, f"request {request_id} not found for unit {unit_id}")
        return self._request_view(req)

    @tool
    def find_available_slots(self, category: Category, date: str | None = None) -> list[dict]:
        """Find free appointment slots with technicians qualified for a category, earliest first (at most 8).

        Args:
            category: The request category the technician must be qualified for.
            date: Only slots on this date (YYYY-MM-DD); omit for all upcoming dates.
        """
        free = []
        for slot in self.state.slots.values():
            tech = self.state.technicians[slot.technician_id]
            if slot.request_id is None and slot.date > self.state.today and category in tech.skills:
                if date is None or slot.date == date:
                    free.append(slot)
        free.sort(key=lambda s: (s.date, s.window, s.technician_id))
        return [self._slot_view(s) for s in free[:8]]

    # ----- write tools -----

    @tool(mutates=True)
    def create_request(
        self,
        tenant_id: str,
        category: Category,
        issue: Issue,
        priority: Priority,
        permission_to_enter: bool,
        billable_to: Payer,
    ) -> dict:
        """Open a new maintenance request for the verified tenant's unit.

        Args:
            tenant_id: The verified tenant's id, e.g. "TEN-1005".
            category: Trade category of the problem.
            issue: Issue type; it must belong to the category (e.g. "slow_drain" is a plumbing issue).
            priority: "emergency", "urgent" or "routine", per the policy's priority rules.
            permission_to_enter: Whether a technician may enter with the master key when nobody is home.
            billable_to: "tenant" for tenant-caused damage (a flat service charge applies), else "landlord".
        """
        tenant = self.state.tenants.get(tenant_id)
        require(tenant is not None, f"tenant {tenant_id} not found")
        require(issue in ISSUES_BY_CATEGORY[category], f"{issue} is not a {category} issue")
        require(not (category == "pest" and priority == "emergency"), "pest requests cannot be emergencies")
        if priority != "emergency":
            active = [
                r
                for r in self.state.requests.values()
                if r.unit_id == tenant.unit_id and r.status in ACTIVE and r.priority != "emergency"
            ]
            require(
                len(active) < self.state.max_active_requests,
                f"open request limit reached ({self.state.max_active_requests} active requests)",
            )
        request_id = f"MR-{self.state.next_request_number}"
        self.state.next_request_number += 1
        req = MaintenanceRequest(
            request_id=request_id,
            unit_id=tenant.unit_id,
            tenant_id=tenant_id,
            category=category,
            issue=issue,
            priority=priority,
            status="open",
            created_on=self.state.today,
            permission_to_enter=permission_to_enter,
            billable_to=billable_to,
            charge_amount=self.state.tenant_charges[category] if billable_to == "tenant" else 0.0,
        )
        self.state.requests[request_id] = req
        return self._request_view(req)

    @tool(mutates=True)
    def schedule_appointment(self, request_id: str, slot_id: str) -> dict:
        """Book a technician slot for an open, non-emergency request.

        Args:
            request_id: The request to schedule, e.g. "MR-24890".
            slot_id: A free slot from find_available_slots, e.g. "SL-0313-101-0800".
        """
        req = self._request(request_id)
        require(req.priority != "emergency", "emergency requests are dispatched, not scheduled")
        require(req.status != "scheduled", f"request {request_id} already has an appointment")
        require(req.status == "open", f"request {request_id} is {req.status}")
        slot = self._check_slot(req, slot_id)
        slot.request_id = request_id
        req.slot_id = slot_id
        req.technician_id = slot.technician_id
        req.status = "scheduled"
        return self._request_view(req)

    @tool(mutates=True)
    def reschedule_appointment(self, request_id: str, new_slot_id: str) -> dict:
        """Move a request's booked appointment to another free slot, releasing the old one.

        Args:
            request_id: The scheduled request, e.g. "MR-24878".
            new_slot_id: The free slot to move it to, from find_available_slots.
        """
        req = self._request(request_id)
        require(
            req.status == "scheduled" and req.slot_id is not None, f"request {request_id} has no scheduled appointment"
        )
        old = self.state.slots[req.slot_id]
        require(old.date != self.state.today, "appointment is today and cannot be rescheduled")
        slot = self._check_slot(req, new_slot_id)
        old.request_id = None
        slot.request_id = request_id
        req.slot_id = new_slot_id
        req.technician_id = slot.technician_id
        return self._request_view(req)

    @tool(mutates=True)
    def cancel_request(self, request_id: str, reason: CancelReason) -> dict:
        """Cancel an open or scheduled request and release its appointment slot.

        Args:
            request_id: The request to cancel, e.g. "MR-24874".
            reason: Why the tenant cancels it.
        """
        req = self._request(request_id)
        require(req.status in ACTIVE, f"request {request_id} is {req.status} and cannot be cancelled")
        if req.slot_id:
            self.state.slots[req.slot_id].request_id = None
        req.slot_id = None
        req.technician_id = None
        req.status = "cancelled"
        req.cancel_reason = reason
        return self._request_view(req)

    @tool(mutates=True)
    def update_entry_permission(self, request_id: str, permission_to_enter: bool) -> dict:
        """Set whether the technician may enter the unit with the master key when nobody is home.

        Args:
            request_id: The open or scheduled request, e.g. "MR-24877".
            permission_to_enter: True to allow entry when nobody is home, False to require someone present.
        """
        req = self._request(request_id)
        require(req.status in ACTIVE, f"request {request_id} is {req.status}")
        req.permission_to_enter = permission_to_enter
        return self._request_view(req)

    @tool(mutates=True)
    def dispatch_emergency(self, request_id: str) -> dict:
        """Send the on-call technician for an open emergency request right away.

        Args:
            request_id: The emergency request to dispatch, e.g. "MR-24890".
        """
        req = self._request(request_id)
        require(req.priority == "emergency", f"request {request_id} is not an emergency")
        require(req.status == "open", f"request {request_id} is {req.status}")
        techs = [t for t in self.state.technicians.values() if req.category in t.on_call_for]
        require(bool(techs), f"no on-call technician for {req.category}")
        tech = sorted(techs, key=lambda t: t.technician_id)[0]
        req.status = "dispatched"
        req.technician_id = tech.technician_id
        out = self._request_view(req)
        out["eta_minutes"] = tech.on_call_eta_minutes
        return out
