"""Northfield Pharmacy #1042 refill desk: patients, prescriptions, insurance, fills, transfers.

A retail pharmacy's prescription refill desk (phone or chat). Patients are verified by full name
and date of birth; they ask for refills (store pickup or home delivery), check costs, transfer
prescriptions to another store of the chain, change their delivery address, and ask for a
pharmacist or for a renewal from their prescriber. The rules the pharmacy follows are the usual
US retail ones:

- refill-too-soon: a refill is allowed once 75% of the last fill's days' supply has elapsed
  (earliest refill date = last fill date + ceil(0.75 x days' supply) days);
- expiry: controlled substances (schedules II-V) expire six months after the date written, all
  other prescriptions one year after;
- schedule II: no refills; every fill needs a new prescription, and it cannot be transferred;
- schedules III-V: refills allowed until expiry, and a prescription may be transferred only once;
- insurance: bill the plan only when coverage is active, the drug is covered and any prior
  authorisation the plan requires is approved; otherwise the patient may pay the cash price;
- the first fill of a new medication is held for pharmacist consultation.

"Today" is a fixed date in the state (``today``); nothing reads the clock.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import math
import re
from typing import Literal

from pydantic import Field

from tools_registry import Toolkit, require, tool
from tools_registry.authoring import StateModel, cents

Schedule = Literal["II", "III", "IV", "V"]
RxStatus = Literal["active", "transferred", "inactive"]
PriorAuth = Literal["not_required", "pending", "approved", "denied"]
OrderStatus = Literal[
    "processing",
    "pending_pharmacist_review",
    "ready_for_pickup",
    "out_for_delivery",
    "picked_up",
    "delivered",
    "cancelled",
]
Fulfillment = Literal["pickup", "delivery"]
Payment = Literal["insurance", "cash"]
ConsultReason = Literal["side_effects", "drug_interaction", "dosing"]

OPEN_ORDER = ("processing", "pending_pharmacist_review", "ready_for_pickup")


class Address(StateModel):
    street: str = Field(description="Street address, e.g. '412 E Oakland Ave'.")
    city: str = Field(description="City.")
    state: str = Field(description="Two-letter state code.")
    zip_code: str = Field(description="Five-digit ZIP code.")


class Store(StateModel):
    store_id: str = Field(description="Store id, e.g. 'ST-1042'.")
    name: str = Field(description="Store name.")
    address: Address = Field(description="Store address.")
    phone: str = Field(description="Pharmacy phone number.")
    pharmacy_hours: str = Field(description="Pharmacy opening hours.")
    delivery_zip_codes: list[str] = Field(default_factory=list, description="ZIP codes the store delivers to.")


class Insurance(StateModel):
    plan_id: str = Field(description="Plan id, key of 'plans'.")
    member_id: str = Field(description="Member id on the insurance card.")
    coverage_end: str | None = Field(default=None, description="Last day of coverage (YYYY-MM-DD); None = open-ended.")


class Patient(StateModel):
    patient_id: str = Field(description="Patient id, e.g. 'PT-20817'.")
    first_name: str = Field(description="First name.")
    last_name: str = Field(description="Last name.")
    date_of_birth: str = Field(description="Date of birth (YYYY-MM-DD).")
    phone: str = Field(description="Phone number on file.")
    address: Address = Field(description="Home and delivery address on file.")
    allergies: list[str] = Field(default_factory=list, description="Recorded drug allergies.")
    insurance: Insurance | None = Field(default=None, description="Prescription insurance; None = cash patient.")


class Prescriber(StateModel):
    npi: str = Field(description="National Provider Identifier (10 digits).")
    name: str = Field(description="Prescriber's name and credentials.")
    practice: str = Field(description="Practice or clinic.")
    phone: str = Field(description="Office phone number.")


class Drug(StateModel):
    ndc: str = Field(description="National Drug Code.")
    name: str = Field(description="Product name, strength and form.")
    generic_name: str = Field(description="Active ingredient (used for interaction checks).")
    schedule: Schedule | None = Field(
        default=None, description="DEA controlled-substance schedule; None = not controlled."
    )
    tier: int = Field(
        description="Formulary tier (1 generic, 2 preferred brand/controlled generic, 3 specialty/non-preferred)."
    )
    cash_price: float = Field(description="Cash price for a 30-day supply, USD.")


class Plan(StateModel):
    plan_id: str = Field(description="Plan id.")
    name: str = Field(description="Plan name.")
    copays: dict[str, float] = Field(description="Copay for a 30-day supply by formulary tier ('1', '2', '3'), USD.")
    prior_auth_ndcs: list[str] = Field(default_factory=list, description="Drugs that need prior authorisation.")
    excluded_ndcs: list[str] = Field(default_factory=list, description="Drugs the plan does not cover.")


class Interaction(StateModel):
    drugs: list[str] = Field(description="The two interacting active ingredients.")
    severity: Literal["major", "moderate"] = Field(description="Severity.")
    description: str = Field(description="What the interaction does.")


class Prescription(StateModel):
    rx_number: str = Field(description="Prescription number, e.g. 'RX-6120034'.")
    patient_id: str = Field(description="Patient the prescription is for.")
    ndc: str = Field(description="Prescribed drug.")
    sig: str = Field(description="Directions for use as written.")
    quantity: int = Field(description="Quantity per fill.")
    days_supply: int = Field(description="Days' supply per fill.")
    refills_remaining: int = Field(description="Refills left after the fills already dispensed.")
    written_date: str = Field(description="Date the prescription was written (YYYY-MM-DD).")
    last_fill_date: str | None = Field(default=None, description="Date of the last fill; None = never filled (new).")
    prescriber_npi: str = Field(description="Prescriber, key of 'prescribers'.")
    status: RxStatus = Field(default="active", description="active, transferred (out to another store) or inactive.")
    transferred_in: bool = Field(
        default=False, description="True when the prescription was transferred in from another pharmacy."
    )
    transferred_to: str | None = Field(default=None, description="Store it was transferred to, if any.")
    prior_auth_status: PriorAuth = Field(
        default="not_required", description="Prior authorisation status with the patient's plan."
    )


class Order(StateModel):
    order_id: str = Field(description="Fill order id, e.g. 'ORD-58209'.")
    patient_id: str = Field(description="Patient.")
    rx_number: str = Field(description="Prescription filled.")
    fulfillment: Fulfillment = Field(description="pickup or delivery.")
    payment_method: Payment = Field(description="insurance or cash.")
    amount_due: float = Field(description="What the patient pays, USD.")
    status: OrderStatus = Field(description="Order status.")
    pharmacist_consult: bool = Field(default=False, description="Held for a pharmacist consultation before dispensing.")
    created_date: str = Field(description="Date the order was placed.")
    ready_date: str | None = Field(default=None, description="Pickup: date ready at the store.")
    delivery_date: str | None = Field(default=None, description="Delivery: scheduled delivery date.")
    delivery_address: Address | None = Field(default=None, description="Delivery: where it goes.")


class RenewalRequest(StateModel):
    request_id: str = Field(description="Renewal request id, e.g. 'RNW-4403'.")
    patient_id: str = Field(description="Patient.")
    rx_number: str = Field(description="Prescription to renew.")
    prescriber_npi: str = Field(description="Prescriber the request was sent to.")
    sent_date: str = Field(description="Date sent.")
    status: Literal["sent", "approved", "denied"] = Field(description="Request status.")


class Consultation(StateModel):
    consult_id: str = Field(description="Consultation request id, e.g. 'CNS-7102'.")
    patient_id: str = Field(description="Patient.")
    rx_number: str = Field(description="Prescription the question is about.")
    reason: ConsultReason = Field(description="Why the pharmacist should call.")
    callback_phone: str = Field(description="Number the pharmacist will call.")
    created_date: str = Field(description="Date requested.")
    status: Literal["open", "completed"] = Field(description="Request status.")


class PharmacyState(StateModel):
    today: str = Field(description="The current date (YYYY-MM-DD), fixed.")
    home_store_id: str = Field(description="The store whose refill desk this is.")
    stores: dict[str, Store] = Field(description="Stores of the chain by id.")
    patients: dict[str, Patient] = Field(description="Patients by id.")
    prescribers: dict[str, Prescriber] = Field(description="Prescribers by NPI.")
    drugs: dict[str, Drug] = Field(description="Drug catalog by NDC.")
    plans: dict[str, Plan] = Field(description="Insurance plans by id.")
    interactions: list[Interaction] = Field(description="Known drug-drug interactions.")
    prescriptions: dict[str, Prescription] = Field(description="Prescriptions on file by Rx number.")
    orders: dict[str, Order] = Field(description="Fill orders by id.")
    renewal_requests: dict[str, RenewalRequest] = Field(default_factory=dict, description="Renewal requests by id.")
    consultations: dict[str, Consultation] = Field(
        default_factory=dict, description="Pharmacist callback requests by id."
    )


def _date(s: str) -> _dt.date:
    return _dt.date.fromisoformat(s)


def _add_months(d: _dt.date, months: int) -> _dt.date:
    m = d.month - 1 + months
    year, month = d.year + m // 12, m % 12 + 1
    return _dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _money(x: float) -> str:
    return str(cents(x))


class PharmacyRefillToolkit(Toolkit):
    """Tools of the Northfield Pharmacy refill desk."""

    State = PharmacyState
    state: PharmacyState

    # ---- helpers (not tools) ---------------------------------------------------------------
    def _today(self) -> _dt.date:
        return _date(self.state.today)

    def _patient(self, patient_id: str) -> Patient:
        p = self.state.patients.get(patient_id)
        require(p is not None, "patient not found")
        return p

    def _rx(self, patient_id: str, rx_number: str) -> Prescription:
        self._patient(patient_id)
        rx = self.state.prescriptions.get(rx_number.strip().upper())
        require(rx is not None and rx.patient_id == patient_id, "prescription not found for this patient")
        return rx

    def _expiration(self, rx: Prescription) -> _dt.date:
        drug = self.state.drugs[rx.ndc]
        return _add_months(_date(rx.written_date), 6 if drug.schedule else 12)

    def _earliest_refill(self, rx: Prescription) -> _dt.date | None:
        if rx.last_fill_date is None:
            return None
        return _date(rx.last_fill_date) + _dt.timedelta(days=math.ceil(0.75 * rx.days_supply))

    def _coverage(self, patient: Patient, rx: Prescription) -> dict:
        drug = self.state.drugs[rx.ndc]
        factor = 1 if rx.days_supply <= 34 else 2 if rx.days_supply <= 60 else 3
        out: dict = {
            "rx_number": rx.rx_number,
            "drug": drug.name,
            "days_supply": rx.days_supply,
            "cash_price": _money(drug.cash_price * factor),
        }
        ins = patient.insurance
        if ins is None:
            out.update({"plan": None, "insurance_active": False, "covered": False, "copay": None})
            return out
        plan = self.state.plans[ins.plan_id]
        active = ins.coverage_end is None or _date(ins.coverage_end) >= self._today()
        covered = rx.ndc not in plan.excluded_ndcs
        pa_required = rx.ndc in plan.prior_auth_ndcs
        out.update(
            {
                "plan": plan.name,
                "member_id": ins.member_id,
                "insurance_active": active,
                "coverage_end": ins.coverage_end,
                "covered": covered,
                "tier": drug.tier,
                "copay": _money(plan.copays[str(drug.tier)] * factor) if covered else None,
                "prior_auth_required": pa_required,
                "prior_auth_status": rx.prior_auth_status if pa_required else "not_required",
            }
        )
        return out

    def _store_view(self, store: Store) -> dict:
        a = store.address
        return {
            "store_id": store.store_id,
            "name": store.name,
            "address": f"{a.street}, {a.city}, {a.state} {a.zip_code}",
            "phone": store.phone,
            "pharmacy_hours": store.pharmacy_hours,
        }

    def _rx_summary(self, rx: Prescription) -> dict:
        drug = self.state.drugs[rx.ndc]
        return {
            "rx_number": rx.rx_number,
            "drug": drug.name,
            "schedule": drug.schedule,
            "status": rx.status,
            "refills_remaining": rx.refills_remaining,
        }

    def _order_view(self, order: Order) -> dict:
        rx = self.state.prescriptions[order.rx_number]
        drug = self.state.drugs[rx.ndc]
        out = order.model_dump(mode="json", exclude_none=True)
        out["drug"] = drug.name
        out["amount_due"] = _money(order.amount_due)
        if order.fulfillment == "delivery":
            out["signature_required"] = drug.schedule is not None
        return out

    def _delivery_ok(self, address: Address) -> bool:
        return address.zip_code in self.state.stores[self.state.home_store_id].delivery_zip_codes

    # ---- read tools ------------------------------------------------------------------------
    @tool
    def find_patient(self, first_name: str, last_name: str, date_of_birth: str) -> dict:
        """Verify a patient by full name and date of birth and return their profile, prescriptions and open orders.

        Args:
            first_name: Patient's first name.
            last_name: Patient's last name.
            date_of_birth: Date of birth in YYYY-MM-DD format.
        """
        first, last, dob = first_name.strip().lower(), last_name.strip().lower(), date_of_birth.strip()
        match = [
            p
            for p in self.state.patients.values()
            if p.first_name.lower() == first and p.last_name.lower() == last and p.date_of_birth == dob
        ]
        require(len(match) == 1, "patient not found")
        p = match[0]
        plan = self.state.plans[p.insurance.plan_id] if p.insurance else None
        return {
            "patient_id": p.patient_id,
            "name": f"{p.first_name} {p.last_name}",
            "date_of_birth": p.date_of_birth,
            "phone": p.phone,
            "address": p.address.model_dump(),
            "allergies": p.allergies,
            "insurance": None
            if p.insurance is None
            else {
                "plan": plan.name,
                "member_id": p.insurance.member_id,
                "coverage_end": p.insurance.coverage_end,
            },
            "prescriptions": [
                self._rx_summary(rx) for rx in self.state.prescriptions.values() if rx.patient_id == p.patient_id
            ],
            "open_orders": [
                self._order_view(o)
                for o in self.state.orders.values()
                if o.patient_id == p.patient_id and o.status in OPEN_ORDER + ("out_for_delivery",)
            ],
        }

    @tool
    def get_prescription(self, patient_id: str, rx_number: str) -> dict:
        """Get a prescription's details: drug, directions, refills, fill dates, expiration and prescriber.

        Args:
            patient_id: Id of the verified patient, e.g. 'PT-20817'.
            rx_number: Prescription number, e.g. 'RX-6120034'.
        """
        rx = self._rx(patient_id, rx_number)
        drug = self.state.drugs[rx.ndc]
        doc = self.state.prescribers[rx.prescriber_npi]
        earliest = self._earliest_refill(rx)
        return {
            "rx_number": rx.rx_number,
            "patient_id": rx.patient_id,
            "drug": drug.name,
            "ndc": drug.ndc,
            "schedule": drug.schedule,
            "sig": rx.sig,
            "quantity": rx.quantity,
            "days_supply": rx.days_supply,
            "refills_remaining": rx.refills_remaining,
            "written_date": rx.written_date,
            "expiration_date": self._expiration(rx).isoformat(),
            "last_fill_date": rx.last_fill_date,
            "earliest_refill_date": earliest.isoformat() if earliest else None,
            "status": rx.status,
            "transferred_in": rx.transferred_in,
            "transferred_to": rx.transferred_to,
            "prescriber": {"name": doc.name, "practice": doc.practice, "phone": doc.phone},
        }

    @tool
    def check_coverage(self, patient_id: str, rx_number: str) -> dict:
        """Check insurance coverage for a prescription: plan, copay, prior authorisation status and cash price.

        Args:
            patient_id: Id of the verified patient.
            rx_number: Prescription number to price.
        """
        rx = self._rx(patient_id, rx_number)
        return self._coverage(self.state.patients[patient_id], rx)

    @tool
    def check_interactions(self, patient_id: str, rx_number: str) -> dict:
        """Check a prescription's drug for interactions with the patient's other active prescriptions.

        Args:
            patient_id: Id of the verified patient.
            rx_number: Prescription number to check.
        """
        rx = self._rx(patient_id, rx_number)
        drug = self.state.drugs[rx.ndc]
        found = []
        for other in self.state.prescriptions.values():
            if other.patient_id != patient_id or other.rx_number == rx.rx_number or other.status != "active":
                continue
            other_drug = self.state.drugs[other.ndc]
            for it in self.state.interactions:
                if sorted(it.drugs) == sorted([drug.generic_name, other_drug.generic_name]):
                    found.append(
                        {
                            "with_rx_number": other.rx_number,
                            "with_drug": other_drug.name,
                            "severity": it.severity,
                            "description": it.description,
                        }
                    )
        return {"rx_number": rx.rx_number, "drug": drug.name, "interactions": found}

    @tool
    def search_stores(self, city: str) -> list:
        """List the chain's pharmacy stores in a city.

        Args:
            city: City name, e.g. 'Cincinnati'.
        """
        found = [
            self._store_view(s) for s in self.state.stores.values() if s.address.city.lower() == city.strip().lower()
        ]
        require(bool(found), "no stores found in this city")
        return found

    # ---- write tools -----------------------------------------------------------------------
    @tool(mutates=True)
    def fill_prescription(
        self,
        patient_id: str,
        rx_number: str,
        fulfillment: Fulfillment,
        payment_method: Payment,
        pharmacist_consult: bool = False,
    ) -> dict:
        """Place a fill order for a prescription (a refill, or the first fill of a new prescription).

        Args:
            patient_id: Id of the verified patient.
            rx_number: Prescription number to fill.
            fulfillment: 'pickup' at this store, or 'delivery' to the patient's address on file.
            payment_method: 'insurance' to bill the patient's plan (copay), or 'cash' to pay the cash price.
            pharmacist_consult: True to hold the order for a pharmacist consultation before it is dispensed.
        """
        patient = self._patient(patient_id)
        rx = self._rx(patient_id, rx_number)
        drug = self.state.drugs[rx.ndc]
        today = self._today()
        require(rx.status != "transferred", "prescription transferred to another store")
        require(rx.status == "active", "prescription inactive")
        require(today <= self._expiration(rx), "prescription expired")
        if rx.last_fill_date is not None:
            require(drug.schedule != "II", "schedule II prescriptions cannot be refilled")
            require(rx.refills_remaining > 0, "no refills remaining")
            require(today >= self._earliest_refill(rx), "refill too soon")
        else:
            require(pharmacist_consult, "pharmacist consultation required for a new medication")
        require(
            not any(o.rx_number == rx.rx_number and o.status in OPEN_ORDER for o in self.state.orders.values()),
            "an open order already exists for this prescription",
        )
        cov = self._coverage(patient, rx)
        if payment_method == "insurance":
            require(patient.insurance is not None, "no insurance on file")
            require(cov["insurance_active"], "insurance coverage inactive")
            require(cov["covered"], "drug not covered by plan")
            require(
                cov["prior_auth_status"] in ("not_required", "approved"),
                f"prior authorization {'denied' if cov['prior_auth_status'] == 'denied' else 'pending'}",
            )
            amount = float(cov["copay"])
        else:
            amount = float(cov["cash_price"])
        if fulfillment == "delivery":
            require(self._delivery_ok(patient.address), "delivery address outside delivery area")
        order_id = f"ORD-{58200 + len(self.state.orders) + 1}"
        order = Order(
            order_id=order_id,
            patient_id=patient_id,
            rx_number=rx.rx_number,
            fulfillment=fulfillment,
            payment_method=payment_method,
            amount_due=amount,
            status="pending_pharmacist_review" if pharmacist_consult else "processing",
            pharmacist_consult=pharmacist_consult,
            created_date=today.isoformat(),
            ready_date=today.isoformat() if fulfillment == "pickup" else None,
            delivery_date=(today + _dt.timedelta(days=1)).isoformat() if fulfillment == "delivery" else None,
            delivery_address=patient.address.model_copy() if fulfillment == "delivery" else None,
        )
        self.state.orders[order_id] = order
        if rx.last_fill_date is not None:
            rx.refills_remaining -= 1
        rx.last_fill_date = today.isoformat()
        out = self._order_view(order)
        out["refills_remaining"] = rx.refills_remaining
        return out

    @tool(mutates=True)
    def update_fill_order(self, patient_id: str, order_id: str, fulfillment: Fulfillment) -> dict:
        """Switch an open fill order between store pickup and home delivery.

        Args:
            patient_id: Id of the verified patient.
            order_id: Fill order id, e.g. 'ORD-58207'.
            fulfillment: The new fulfillment: 'pickup' or 'delivery'.
        """
        patient = self._patient(patient_id)
        order = self.state.orders.get(order_id.strip().upper())
        require(order is not None and order.patient_id == patient_id, "order not found for this patient")
        require(order.status in OPEN_ORDER, "order can no longer be changed")
        require(order.fulfillment != fulfillment, f"order is already set to {fulfillment}")
        today = self._today()
        if fulfillment == "delivery":
            require(self._delivery_ok(patient.address), "delivery address outside delivery area")
            order.delivery_date = (today + _dt.timedelta(days=1)).isoformat()
            order.delivery_address = patient.address.model_copy()
            order.ready_date = None
            if order.status == "ready_for_pickup":
                order.status = "processing"  # back to the queue, now for the delivery route
        else:
            order.ready_date = today.isoformat()
            order.delivery_date = None
            order.delivery_address = None
        order.fulfillment = fulfillment
        return self._order_view(order)

    @tool(mutates=True)
    def update_delivery_address(self, patient_id: str, street: str, city: str, state: str, zip_code: str) -> dict:
        """Replace the home and delivery address on a patient's profile.

        Args:
            patient_id: Id of the verified patient.
            street: Street address including house number and any apartment, e.g. '7781 Riverside Dr'.
            city: City.
            state: Two-letter state code, e.g. 'OH'.
            zip_code: Five-digit ZIP code.
        """
        patient = self._patient(patient_id)
        require(bool(street.strip()) and bool(city.strip()), "street and city are required")
        require(re.fullmatch(r"[A-Za-z]{2}", state.strip()) is not None, "invalid state code")
        require(re.fullmatch(r"\d{5}", zip_code.strip()) is not None, "invalid ZIP code")
        patient.address = Address(
            street=street.strip(), city=city.strip(), state=state.strip().upper(), zip_code=zip_code.strip()
        )
        return {"patient_id": patient_id, "address": patient.address.model_dump()}

    @tool(mutates=True)
    def transfer_prescription(self, patient_id: str, rx_number: str, destination_store_id: str) -> dict:
        """Transfer a prescription's remaining refills to another store of the chain.

        Args:
            patient_id: Id of the verified patient.
            rx_number: Prescription number to transfer.
            destination_store_id: Id of the receiving store, e.g. 'ST-1319'.
        """
        rx = self._rx(patient_id, rx_number)
        drug = self.state.drugs[rx.ndc]
        dest = self.state.stores.get(destination_store_id.strip().upper())
        require(dest is not None, "store not found")
        require(dest.store_id != self.state.home_store_id, "prescription is already at this store")
        require(rx.status == "active", "prescription is not active at this store")
        require(drug.schedule != "II", "schedule II prescriptions cannot be transferred")
        require(not (drug.schedule and rx.transferred_in), "controlled substance prescription already transferred once")
        require(self._today() <= self._expiration(rx), "prescription expired")
        require(rx.refills_remaining > 0 or rx.last_fill_date is None, "no refills remaining")
        require(
            not any(o.rx_number == rx.rx_number and o.status in OPEN_ORDER for o in self.state.orders.values()),
            "prescription has an open order",
        )
        rx.status = "transferred"
        rx.transferred_to = dest.store_id
        return {
            "rx_number": rx.rx_number,
            "drug": drug.name,
            "status": rx.status,
            "refills_transferred": rx.refills_remaining,
            "destination": self._store_view(dest),
        }

    @tool(mutates=True)
    def request_prescriber_renewal(self, patient_id: str, rx_number: str) -> dict:
        """Send the prescriber a request for a new prescription to replace one that cannot be refilled.

        Args:
            patient_id: Id of the verified patient.
            rx_number: Prescription that is out of refills, expired, or schedule II.
        """
        rx = self._rx(patient_id, rx_number)
        drug = self.state.drugs[rx.ndc]
        require(rx.status == "active", "prescription is not active at this store")
        expired = self._today() > self._expiration(rx)
        used_up = rx.last_fill_date is not None and (drug.schedule == "II" or rx.refills_remaining == 0)
        require(expired or used_up, "prescription still has refills available")
        require(
            not any(r.rx_number == rx.rx_number and r.status == "sent" for r in self.state.renewal_requests.values()),
            "renewal already requested",
        )
        request_id = f"RNW-{4400 + len(self.state.renewal_requests) + 1}"
        self.state.renewal_requests[request_id] = RenewalRequest(
            request_id=request_id,
            patient_id=patient_id,
            rx_number=rx.rx_number,
            prescriber_npi=rx.prescriber_npi,
            sent_date=self.state.today,
            status="sent",
        )
        doc = self.state.prescribers[rx.prescriber_npi]
        return {
            "request_id": request_id,
            "rx_number": rx.rx_number,
            "drug": drug.name,
            "prescriber": doc.name,
            "prescriber_phone": doc.phone,
            "status": "sent",
            "typical_response": "2 business days",
        }

    @tool(mutates=True)
    def request_pharmacist_consult(self, patient_id: str, rx_number: str, reason: ConsultReason) -> dict:
        """Ask a pharmacist to call the patient back about a prescription (clinical questions go to the pharmacist).

        Args:
            patient_id: Id of the verified patient.
            rx_number: Prescription the question is about.
            reason: 'side_effects' for symptoms the patient has, 'drug_interaction' for combining the medicine with
                other medicines, supplements or alcohol, 'dosing' for how much or when to take it (missed doses too).
        """
        patient = self._patient(patient_id)
        rx = self._rx(patient_id, rx_number)
        require(
            not any(c.rx_number == rx.rx_number and c.status == "open" for c in self.state.consultations.values()),
            "a consultation is already open for this prescription",
        )
        consult_id = f"CNS-{7100 + len(self.state.consultations) + 1}"
        self.state.consultations[consult_id] = Consultation(
            consult_id=consult_id,
            patient_id=patient_id,
            rx_number=rx.rx_number,
            reason=reason,
            callback_phone=patient.phone,
            created_date=self.state.today,
            status="open",
        )
        return {
            "consult_id": consult_id,
            "rx_number": rx.rx_number,
            "reason": reason,
            "callback_phone": patient.phone,
            "callback_window": "today before 6:00 PM",
        }
