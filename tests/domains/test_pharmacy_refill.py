"""Domain-specific tests of the bundled pharmacy-refill tools: the pharmacy's rules are enforced by
the tools, errors are raised as ToolError, and writes change the state as expected."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import pytest

from tools_registry.domains import load_domain
from tools_registry.errors import ToolError

FOLDER = Path(__file__).resolve().parents[2] / "tools_registry" / "bundled" / "pharmacy-refill"


@pytest.fixture(scope="module")
def loaded():
    return load_domain(FOLDER)


@pytest.fixture()
def kit(loaded):
    return loaded.toolkit(copy.deepcopy(loaded.domain.initial_state))


def test_tool_set_and_write_flags(loaded):
    specs = {s.name: s for s in loaded.toolkit.tool_specs()}
    writes = {n for n, s in specs.items() if s.mutates}
    assert writes == {
        "fill_prescription",
        "update_fill_order",
        "update_delivery_address",
        "transfer_prescription",
        "request_prescriber_renewal",
        "request_pharmacist_consult",
    }
    assert 8 <= len(specs) <= 12
    for spec in specs.values():
        assert spec.description
        for prop in spec.parameters["properties"].values():
            assert prop.get("description")


def test_identity_needs_exact_name_and_date_of_birth(kit):
    with pytest.raises(ToolError, match="patient not found"):
        kit.call("find_patient", {"first_name": "Gloria", "last_name": "Simmons", "date_of_birth": "1957-09-03"})
    # Two patients share the name Maria Gonzalez; the date of birth tells them apart.
    a = kit.call("find_patient", {"first_name": "maria", "last_name": "GONZALEZ", "date_of_birth": "1968-04-22"})
    b = kit.call("find_patient", {"first_name": "Maria", "last_name": "Gonzalez", "date_of_birth": "1990-01-17"})
    assert (a["patient_id"], b["patient_id"]) == ("PT-20817", "PT-20944")
    assert b["insurance"] is None


def test_prescription_ownership_is_checked(kit):
    with pytest.raises(ToolError, match="prescription not found"):
        kit.call("get_prescription", {"patient_id": "PT-20817", "rx_number": "RX-6133871"})  # James's zolpidem
    with pytest.raises(ToolError, match="prescription not found"):
        kit.call(
            "fill_prescription",
            {
                "patient_id": "PT-20817",
                "rx_number": "RX-6133871",
                "fulfillment": "pickup",
                "payment_method": "insurance",
            },
        )


def test_earliest_refill_and_expiration_dates(kit):
    rx = kit.call("get_prescription", {"patient_id": "PT-20817", "rx_number": "RX-6120035"})
    assert rx["earliest_refill_date"] == "2025-03-14"  # 90 days: 2025-01-05 + ceil(67.5) days
    assert rx["expiration_date"] == "2025-09-10"  # not controlled: one year
    rx = kit.call("get_prescription", {"patient_id": "PT-31594", "rx_number": "RX-6133871"})
    assert rx["earliest_refill_date"] == "2025-03-23"
    assert rx["expiration_date"] == "2025-06-02"  # schedule IV: six months


def test_refill_too_soon_is_refused_and_state_unchanged(kit):
    before = kit.dump_state()
    with pytest.raises(ToolError, match="refill too soon"):
        kit.call(
            "fill_prescription",
            {
                "patient_id": "PT-31594",
                "rx_number": "RX-6133871",
                "fulfillment": "pickup",
                "payment_method": "insurance",
            },
        )
    assert kit.dump_state() == before


def test_refill_creates_order_and_uses_a_refill(kit):
    out = kit.call(
        "fill_prescription",
        {"patient_id": "PT-20817", "rx_number": "RX-6120035", "fulfillment": "pickup", "payment_method": "insurance"},
    )
    assert out["order_id"] == "ORD-58209"
    assert out["amount_due"] == "30.00"  # 90-day supply: three tier-1 copays
    state = kit.dump_state()
    assert state["prescriptions"]["RX-6120035"]["refills_remaining"] == 1
    assert state["prescriptions"]["RX-6120035"]["last_fill_date"] == "2025-03-14"
    assert state["orders"]["ORD-58209"]["status"] == "processing"
    with pytest.raises(ToolError, match="refill too soon"):
        kit.call(
            "fill_prescription",
            {
                "patient_id": "PT-20817",
                "rx_number": "RX-6120035",
                "fulfillment": "pickup",
                "payment_method": "insurance",
            },
        )


def test_schedule_ii_cannot_be_refilled_or_transferred_but_can_be_renewed(kit):
    args = {"patient_id": "PT-40266", "rx_number": "RX-6140552"}
    with pytest.raises(ToolError, match="schedule II prescriptions cannot be refilled"):
        kit.call("fill_prescription", {**args, "fulfillment": "pickup", "payment_method": "insurance"})
    with pytest.raises(ToolError, match="schedule II prescriptions cannot be transferred"):
        kit.call("transfer_prescription", {**args, "destination_store_id": "ST-1108"})
    out = kit.call("request_prescriber_renewal", args)
    assert out["request_id"] == "RNW-4403" and out["prescriber"] == "Michael Osei, MD"
    with pytest.raises(ToolError, match="renewal already requested"):
        kit.call("request_prescriber_renewal", args)


def test_expired_prescription_cannot_be_filled_or_transferred(kit):
    args = {"patient_id": "PT-52310", "rx_number": "RX-6098817"}
    with pytest.raises(ToolError, match="prescription expired"):
        kit.call("fill_prescription", {**args, "fulfillment": "delivery", "payment_method": "insurance"})
    with pytest.raises(ToolError, match="prescription expired"):
        kit.call("transfer_prescription", {**args, "destination_store_id": "ST-1108"})
    kit.call("request_prescriber_renewal", args)
    assert kit.dump_state()["renewal_requests"]["RNW-4403"]["rx_number"] == "RX-6098817"


def test_renewal_refused_while_refills_remain(kit):
    with pytest.raises(ToolError, match="still has refills"):
        kit.call("request_prescriber_renewal", {"patient_id": "PT-52310", "rx_number": "RX-6121190"})


def test_new_medication_needs_pharmacist_consult_and_keeps_its_refills(kit):
    args = {"patient_id": "PT-61705", "rx_number": "RX-6142276", "fulfillment": "pickup", "payment_method": "insurance"}
    with pytest.raises(ToolError, match="pharmacist consultation required"):
        kit.call("fill_prescription", args)
    inter = kit.call("check_interactions", {"patient_id": "PT-61705", "rx_number": "RX-6142276"})
    assert [(i["with_rx_number"], i["severity"]) for i in inter["interactions"]] == [("RX-6129004", "major")]
    out = kit.call("fill_prescription", {**args, "pharmacist_consult": True})
    assert out["status"] == "pending_pharmacist_review"
    assert kit.dump_state()["prescriptions"]["RX-6142276"]["refills_remaining"] == 5  # the original fill


def test_prior_authorization_pending_blocks_insurance_not_cash(kit):
    cov = kit.call("check_coverage", {"patient_id": "PT-73480", "rx_number": "RX-6131877"})
    assert (cov["prior_auth_required"], cov["prior_auth_status"], cov["cash_price"]) == (True, "pending", "997.58")
    args = {"patient_id": "PT-73480", "rx_number": "RX-6131877", "fulfillment": "pickup"}
    with pytest.raises(ToolError, match="prior authorization pending"):
        kit.call("fill_prescription", {**args, "payment_method": "insurance"})
    out = kit.call("fill_prescription", {**args, "payment_method": "cash"})
    assert out["amount_due"] == "997.58"


def test_inactive_insurance_is_not_billed(kit):
    cov = kit.call("check_coverage", {"patient_id": "PT-93058", "rx_number": "RX-6137720"})
    assert cov["insurance_active"] is False and cov["coverage_end"] == "2025-02-28"
    with pytest.raises(ToolError, match="insurance coverage inactive"):
        kit.call(
            "fill_prescription",
            {
                "patient_id": "PT-93058",
                "rx_number": "RX-6137720",
                "fulfillment": "pickup",
                "payment_method": "insurance",
            },
        )


def test_delivery_only_inside_the_delivery_area(kit):
    kit.call(
        "update_delivery_address",
        {"patient_id": "PT-58842", "street": "7781 Riverside Dr", "city": "Dublin", "state": "oh", "zip_code": "43017"},
    )
    assert kit.dump_state()["patients"]["PT-58842"]["address"]["state"] == "OH"
    args = {"patient_id": "PT-58842", "rx_number": "RX-6135510", "payment_method": "insurance"}
    with pytest.raises(ToolError, match="outside delivery area"):
        kit.call("fill_prescription", {**args, "fulfillment": "delivery"})
    assert kit.call("fill_prescription", {**args, "fulfillment": "pickup"})["fulfillment"] == "pickup"
    with pytest.raises(ToolError, match="invalid ZIP code"):
        kit.call(
            "update_delivery_address",
            {"patient_id": "PT-58842", "street": "1 Main St", "city": "Dublin", "state": "OH", "zip_code": "4301"},
        )


def test_controlled_substance_transferred_only_once(kit):
    with pytest.raises(ToolError, match="already transferred once"):
        kit.call(
            "transfer_prescription",
            {"patient_id": "PT-80925", "rx_number": "RX-6125561", "destination_store_id": "ST-1319"},
        )
    out = kit.call(
        "transfer_prescription",
        {"patient_id": "PT-80925", "rx_number": "RX-6110423", "destination_store_id": "st-1319"},
    )
    assert out["destination"]["phone"] == "(513) 555-0176"
    rx = kit.dump_state()["prescriptions"]["RX-6110423"]
    assert (rx["status"], rx["transferred_to"]) == ("transferred", "ST-1319")
    with pytest.raises(ToolError, match="transferred to another store"):
        kit.call(
            "fill_prescription",
            {
                "patient_id": "PT-80925",
                "rx_number": "RX-6110423",
                "fulfillment": "pickup",
                "payment_method": "insurance",
            },
        )
    with pytest.raises(ToolError, match="already at this store"):
        kit.call(
            "transfer_prescription",
            {"patient_id": "PT-80925", "rx_number": "RX-6110424", "destination_store_id": "ST-1042"},
        )


def test_switch_open_order_to_delivery(kit):
    out = kit.call("update_fill_order", {"patient_id": "PT-90312", "order_id": "ORD-58207", "fulfillment": "delivery"})
    assert out["signature_required"] is True  # pregabalin is schedule V
    assert (out["delivery_date"], out["status"]) == ("2025-03-15", "processing")
    with pytest.raises(ToolError, match="already set to delivery"):
        kit.call("update_fill_order", {"patient_id": "PT-90312", "order_id": "ORD-58207", "fulfillment": "delivery"})
    with pytest.raises(ToolError, match="can no longer be changed"):
        kit.call("update_fill_order", {"patient_id": "PT-20817", "order_id": "ORD-58201", "fulfillment": "delivery"})
    with pytest.raises(ToolError, match="order not found"):
        kit.call("update_fill_order", {"patient_id": "PT-20817", "order_id": "ORD-58207", "fulfillment": "delivery"})


def test_pharmacist_consult_request(kit):
    out = kit.call(
        "request_pharmacist_consult",
        {"patient_id": "PT-70139", "rx_number": "RX-6087743", "reason": "drug_interaction"},
    )
    assert out["consult_id"] == "CNS-7102" and out["callback_phone"] == "(614) 555-0163"
    with pytest.raises(ToolError, match="already open"):
        kit.call(
            "request_pharmacist_consult", {"patient_id": "PT-70139", "rx_number": "RX-6087743", "reason": "dosing"}
        )


def test_generated_files_match_build_script(loaded):
    spec = importlib.util.spec_from_file_location("pharmacy_refill_build", FOLDER / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert build.DOMAIN.model_dump(mode="json") == loaded.domain.model_dump(mode="json")
    assert [t.model_dump(mode="json", exclude_none=True) for t in build.TASKS] == [
        t.model_dump(mode="json", exclude_none=True) for t in loaded.tasks
    ]
