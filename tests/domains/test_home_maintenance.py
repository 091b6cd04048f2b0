"""Domain-specific behaviour of the bundled home-maintenance domain's tools."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tools_registry.domains import load_domain
from tools_registry.errors import ToolError

DOMAIN_DIR = Path(__file__).resolve().parents[2] / "tools_registry" / "bundled" / "home-maintenance"


@pytest.fixture(scope="module")
def loaded():
    return load_domain(DOMAIN_DIR)


@pytest.fixture
def kit(loaded):
    return loaded.toolkit(copy.deepcopy(loaded.domain.initial_state))


def test_verification_needs_all_three_details(kit):
    ok = kit.call("verify_tenant", {"unit_id": "b-305", "last_name": "desai", "phone_last4": "0184"})
    assert ok["tenant_id"] == "TEN-1008"
    for args in (
        {"unit_id": "B-305", "last_name": "Desai", "phone_last4": "2290"},
        {"unit_id": "B-204", "last_name": "Desai", "phone_last4": "0184"},
        {"unit_id": "Z-999", "last_name": "Desai", "phone_last4": "0184"},
    ):
        with pytest.raises(ToolError, match="verification failed"):
            kit.call("verify_tenant", args)


def test_get_request_is_scoped_to_the_unit(kit):
    assert kit.call("get_request", {"request_id": "MR-24880", "unit_id": "A-102"})["status"] == "scheduled"
    with pytest.raises(ToolError, match="not found for unit A-101"):
        kit.call("get_request", {"request_id": "MR-24880", "unit_id": "A-101"})


def test_open_request_limit_and_emergency_exemption(kit):
    base = {"tenant_id": "TEN-1010", "priority": "routine", "permission_to_enter": False, "billable_to": "landlord"}
    with pytest.raises(ToolError, match="open request limit"):
        kit.call("create_request", {**base, "category": "electrical", "issue": "light_fixture_flickering"})
    out = kit.call(
        "create_request", {**base, "category": "plumbing", "issue": "leak_or_flooding", "priority": "emergency"}
    )
    assert out["request_id"] == "MR-24890" and out["status"] == "open"
    kit.call("cancel_request", {"request_id": "MR-24883", "reason": "issue_resolved"})
    out = kit.call("create_request", {**base, "category": "electrical", "issue": "light_fixture_flickering"})
    assert out["request_id"] == "MR-24891"


def test_issue_must_match_category_and_pest_is_never_an_emergency(kit):
    base = {"tenant_id": "TEN-1005", "permission_to_enter": True, "billable_to": "landlord"}
    with pytest.raises(ToolError, match="not a electrical issue"):
        kit.call("create_request", {**base, "category": "electrical", "issue": "slow_drain", "priority": "routine"})
    with pytest.raises(ToolError, match="pest"):
        kit.call("create_request", {**base, "category": "pest", "issue": "mice", "priority": "emergency"})


def test_tenant_charge_comes_from_the_schedule(kit):
    out = kit.call(
        "create_request",
        {
            "tenant_id": "TEN-1011",
            "category": "plumbing",
            "issue": "clogged_toilet",
            "priority": "urgent",
            "permission_to_enter": True,
            "billable_to": "tenant",
        },
    )
    assert out["charge_amount"] == 95.0
    assert kit.state.requests[out["request_id"]].charge_amount == 95.0


def test_slots_respect_skills_booking_and_lead_time(kit):
    slots = kit.call("find_available_slots", {"category": "electrical", "date": "2025-03-14"})
    assert [s["technician"] for s in slots] == ["Dana Okafor", "Kevin Tran"]
    assert all(s["date"] > "2025-03-10" for s in kit.call("find_available_slots", {"category": "plumbing"}))
    new = kit.call(
        "create_request",
        {
            "tenant_id": "TEN-1005",
            "category": "plumbing",
            "issue": "slow_drain",
            "priority": "routine",
            "permission_to_enter": True,
            "billable_to": "landlord",
        },
    )
    rid = new["request_id"]
    with pytest.raises(ToolError, match="not qualified for plumbing"):
        kit.call("schedule_appointment", {"request_id": rid, "slot_id": "SL-0312-104-0800"})
    with pytest.raises(ToolError, match="already booked"):
        kit.call("schedule_appointment", {"request_id": rid, "slot_id": "SL-0313-101-1000"})
    with pytest.raises(ToolError, match="one day ahead"):
        kit.call("schedule_appointment", {"request_id": rid, "slot_id": "SL-0310-101-1300"})
    out = kit.call("schedule_appointment", {"request_id": rid, "slot_id": "SL-0313-101-0800"})
    assert out["status"] == "scheduled" and out["technician"] == "Marcus Webb"
    assert kit.state.slots["SL-0313-101-0800"].request_id == rid
    with pytest.raises(ToolError, match="already has an appointment"):
        kit.call("schedule_appointment", {"request_id": rid, "slot_id": "SL-0314-101-0800"})


def test_reschedule_moves_the_booking_but_not_on_the_day(kit):
    out = kit.call("reschedule_appointment", {"request_id": "MR-24878", "new_slot_id": "SL-0314-104-1300"})
    assert out["appointment"]["weekday"] == "Friday"
    assert kit.state.slots["SL-0311-104-1300"].request_id is None
    assert kit.state.slots["SL-0314-104-1300"].request_id == "MR-24878"
    with pytest.raises(ToolError, match="today"):
        kit.call("reschedule_appointment", {"request_id": "MR-24877", "new_slot_id": "SL-0311-102-0800"})
    assert kit.state.requests["MR-24877"].slot_id == "SL-0310-102-1500"


def test_cancel_releases_slot_and_rejects_closed_requests(kit):
    kit.call("cancel_request", {"request_id": "MR-24884", "reason": "no_longer_needed"})
    req = kit.state.requests["MR-24884"]
    assert req.status == "cancelled" and req.slot_id is None and req.cancel_reason == "no_longer_needed"
    assert kit.state.slots["SL-0313-101-1300"].request_id is None
    with pytest.raises(ToolError, match="cannot be cancelled"):
        kit.call("cancel_request", {"request_id": "MR-24855", "reason": "issue_resolved"})


def test_emergency_dispatch_goes_to_on_call_and_only_for_emergencies(kit):
    with pytest.raises(ToolError, match="not an emergency"):
        kit.call("dispatch_emergency", {"request_id": "MR-24874"})
    new = kit.call(
        "create_request",
        {
            "tenant_id": "TEN-1002",
            "category": "locks",
            "issue": "lockout",
            "priority": "emergency",
            "permission_to_enter": False,
            "billable_to": "tenant",
        },
    )
    with pytest.raises(ToolError, match="dispatched, not scheduled"):
        kit.call("schedule_appointment", {"request_id": new["request_id"], "slot_id": "SL-0312-104-0800"})
    out = kit.call("dispatch_emergency", {"request_id": new["request_id"]})
    assert (out["status"], out["technician"], out["eta_minutes"], out["charge_amount"]) == (
        "dispatched",
        "Kevin Tran",
        30,
        65.0,
    )
    with pytest.raises(ToolError, match="dispatched"):
        kit.call("dispatch_emergency", {"request_id": new["request_id"]})


def test_entry_permission_update(kit):
    out = kit.call("update_entry_permission", {"request_id": "MR-24877", "permission_to_enter": True})
    assert out["permission_to_enter"] is True and kit.state.requests["MR-24877"].permission_to_enter is True
    with pytest.raises(ToolError):
        kit.call("update_entry_permission", {"request_id": "MR-24850", "permission_to_enter": True})


def test_domain_shape(loaded):
    assert 8 <= len(loaded.domain.tools) <= 12
    writes = {t.name for t in loaded.domain.tools if t.mutates}
    assert writes == {
        "create_request",
        "schedule_appointment",
        "reschedule_appointment",
        "cancel_request",
        "update_entry_permission",
        "dispatch_emergency",
    }
    assert len(loaded.tasks) >= 10
    for task in loaded.tasks:
        said = " ".join(m.content or "" for m in task.reference if m.role == "assistant").lower()
        assert task.criteria.actions or task.criteria.communicate, task.id
        assert all(fact.lower() in said for fact in task.criteria.communicate), task.id
        assert task.user.turns == [m.content for m in task.reference if m.role == "user"], task.id
