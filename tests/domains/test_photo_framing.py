"""Domain-specific behaviour of the bundled photo-framing tools (constraints, errors, writes)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tools_registry import ToolError
from tools_registry.domains import load_domain

FOLDER = Path(__file__).resolve().parents[2] / "tools_registry" / "bundled" / "photo-framing"


@pytest.fixture(scope="module")
def loaded():
    return load_domain(FOLDER)


@pytest.fixture()
def kit(loaded):
    return loaded.toolkit(copy.deepcopy(loaded.domain.initial_state))


def quote(kit, **kw):
    args = {
        "frame_id": "FR-OAK-NAT",
        "artwork_width_in": 11,
        "artwork_height_in": 14,
        "glazing_id": "GL-STD",
        "delivery": "pickup",
    }
    args.update(kw)
    return kit.call("get_quote", args)


def test_quote_prices_by_united_inches_and_mat_adds_to_outer_size(kit):
    q = quote(kit, frame_id="FR-WAL-DRK", glazing_id="GL-AR", mat_id="MAT-CRM", mat_width_in=2)
    assert (q["outer_width_in"], q["outer_height_in"], q["united_inches"]) == (15, 18, 33)
    # 1.60/UI x 33, 0.15/sq in x 270, 0.40/UI x 33, fitting 18
    assert q["price"] == {"frame": 52.8, "glazing": 40.5, "mat": 13.2, "fitting": 18.0, "shipping": 0.0, "total": 124.5}
    json.dumps(q)  # JSON-able


def test_shipping_fee_bands(kit):
    small = quote(kit, glazing_id="GL-ACR", delivery="ship")  # 25 UI
    big = quote(kit, artwork_width_in=30, artwork_height_in=40, glazing_id="GL-ACR", delivery="ship")  # 70 UI
    assert small["price"]["shipping"] == 29.0
    assert big["price"]["shipping"] == 49.0


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"frame_id": "FR-NOPE"}, "frame FR-NOPE not found"),
        ({"frame_id": "FR-CHY-SHK"}, "out of stock"),
        ({"frame_id": "FR-SLM-BLK", "mat_id": "MAT-WHT", "mat_width_in": 2}, "does not accept a mat"),
        (
            {"artwork_width_in": 3.5, "artwork_height_in": 5, "mat_id": "MAT-WHT", "mat_width_in": 1.5},
            "minimum for a mat",
        ),
        ({"mat_id": "MAT-WHT", "mat_width_in": 5}, "mat width must be one of"),
        ({"mat_id": "MAT-WHT"}, "must be given together"),
        (
            {"artwork_width_in": 4, "artwork_height_in": 6, "frame_id": "FR-GAL-WHT"},
            "outside frame FR-GAL-WHT's 14-100 UI range",
        ),
        (
            {
                "frame_id": "FR-WAL-DRK",
                "artwork_width_in": 30,
                "artwork_height_in": 40,
                "glazing_id": "GL-MUS",
                "mat_id": "MAT-RAG",
                "mat_width_in": 3,
            },
            "museum glass is limited to 80 UI; this piece is 82 UI",
        ),
        ({"glazing_id": "GL-STD", "delivery": "ship"}, "glass glazing cannot be shipped"),
        (
            {
                "frame_id": "FR-MTL-BLK",
                "artwork_width_in": 36,
                "artwork_height_in": 48,
                "glazing_id": "GL-ACR",
                "delivery": "ship",
            },
            "pieces over 80 UI cannot be shipped",
        ),
    ],
)
def test_quote_constraints_raise_tool_errors(kit, kw, message):
    with pytest.raises(ToolError, match=message):
        quote(kit, **kw)


def test_acrylic_allows_large_pieces_and_shipping(kit):
    q = quote(
        kit,
        frame_id="FR-WAL-DRK",
        artwork_width_in=30,
        artwork_height_in=40,
        glazing_id="GL-ACR-MUS",
        mat_id="MAT-RAG",
        mat_width_in=3,
    )
    assert q["united_inches"] == 82
    assert quote(kit, glazing_id="GL-ACR", delivery="ship")["delivery"] == "ship"


def test_place_order_writes_order_and_links_customer(kit):
    before = kit.state.next_order_number
    order = kit.call(
        "place_order",
        {
            "customer_id": "CUS-3131",
            "frame_id": "FR-OAK-NAT",
            "artwork_width_in": 11,
            "artwork_height_in": 14,
            "glazing_id": "GL-ACR",
            "delivery": "ship",
        },
    )
    assert order["order_id"] == f"ORD-{before}"
    assert order["status"] == "received" and order["placed_on"] == "2025-03-14" and order["ready_date"] == "2025-03-22"
    assert order["ship_to"]["city"] == "Portland"
    assert kit.state.next_order_number == before + 1
    assert order["order_id"] in kit.state.customers["CUS-3131"].order_ids
    assert kit.dump_state()["orders"][order["order_id"]]["price"]["total"] == order["price"]["total"]


def test_place_order_rejects_ship_without_address_and_leaves_state_unchanged(kit):
    state = kit.dump_state()
    with pytest.raises(ToolError, match="no shipping address"):
        kit.call(
            "place_order",
            {
                "customer_id": "CUS-3057",
                "frame_id": "FR-OAK-NAT",
                "artwork_width_in": 16,
                "artwork_height_in": 20,
                "glazing_id": "GL-ACR",
                "delivery": "ship",
            },
        )
    with pytest.raises(ToolError, match="customer CUS-9999 not found"):
        kit.call(
            "place_order",
            {
                "customer_id": "CUS-9999",
                "frame_id": "FR-OAK-NAT",
                "artwork_width_in": 16,
                "artwork_height_in": 20,
                "glazing_id": "GL-STD",
                "delivery": "pickup",
            },
        )
    assert kit.dump_state() == state


def test_modify_order_reprices_and_reports_difference(kit):
    out = kit.call(
        "modify_order", {"order_id": "ORD-50217", "glazing_id": "GL-AR", "mat_id": "MAT-BLK", "mat_width_in": 2}
    )
    assert out["previous_total"] == 79.62 and out["price"]["total"] == 180.4 and out["price_difference"] == 100.78
    assert kit.state.orders["ORD-50217"].outer_width_in == 22
    removed = kit.call("modify_order", {"order_id": "ORD-50217", "remove_mat": True})
    assert removed["mat_id"] is None and removed["united_inches"] == 42


def test_modify_to_shipping_needs_acrylic_and_copies_address(kit):
    with pytest.raises(ToolError, match="glass glazing cannot be shipped"):
        kit.call("modify_order", {"order_id": "ORD-50214", "delivery": "ship"})
    assert kit.state.orders["ORD-50214"].delivery == "pickup"
    out = kit.call("modify_order", {"order_id": "ORD-50214", "delivery": "ship", "glazing_id": "GL-ACR"})
    assert out["ship_to"]["street"] == "4410 N Williams Ave Apt 3"
    assert out["price"]["shipping"] == 29.0 and out["price"]["total"] == 198.4


def test_orders_in_production_cannot_change_or_cancel(kit):
    with pytest.raises(ToolError, match="in_production and can no longer be cancelled"):
        kit.call("cancel_order", {"order_id": "ORD-50211"})
    with pytest.raises(ToolError, match="can no longer be changed"):
        kit.call("modify_order", {"order_id": "ORD-50211", "glazing_id": "GL-MUS"})
    with pytest.raises(ToolError, match="no change requested"):
        kit.call("modify_order", {"order_id": "ORD-50217"})
    assert kit.state.orders["ORD-50211"].status == "in_production"


def test_cancel_refunds_full_total_once(kit):
    out = kit.call("cancel_order", {"order_id": "ORD-50220"})
    assert out == {"order_id": "ORD-50220", "status": "cancelled", "refund_amount": 398.76}
    with pytest.raises(ToolError, match="cancelled"):
        kit.call("cancel_order", {"order_id": "ORD-50220"})


def test_update_shipping_address_validates_and_updates_open_ship_orders(kit):
    with pytest.raises(ToolError, match="two-letter"):
        kit.call(
            "update_shipping_address",
            {"customer_id": "CUS-3085", "street": "1 A St", "city": "Bend", "state": "Oregon", "zip_code": "97701"},
        )
    with pytest.raises(ToolError, match="five-digit"):
        kit.call(
            "update_shipping_address",
            {"customer_id": "CUS-3085", "street": "1 A St", "city": "Bend", "state": "OR", "zip_code": "9770"},
        )
    out = kit.call(
        "update_shipping_address",
        {"customer_id": "CUS-3085", "street": "12 Pine Ln", "city": "Bend", "state": "or", "zip_code": "97702"},
    )
    assert out["orders_updated"] == ["ORD-50220"]
    assert kit.state.orders["ORD-50220"].ship_to.street == "12 Pine Ln"
    assert kit.state.customers["CUS-3085"].address.state == "OR"


def test_find_customer_is_case_insensitive_and_reports_unknown_email(kit):
    assert kit.call("find_customer", {"email": " Maya.Okafor@Gmail.com "})["customer_id"] == "CUS-3041"
    with pytest.raises(ToolError, match="no customer with email"):
        kit.call("find_customer", {"email": "nobody@gmail.com"})


def test_initial_orders_agree_with_pricing_rules(kit):
    for order in kit.state.orders.values():
        q = quote(
            kit,
            frame_id=order.frame_id,
            artwork_width_in=order.artwork_width_in,
            artwork_height_in=order.artwork_height_in,
            glazing_id=order.glazing_id,
            delivery=order.delivery,
            mat_id=order.mat_id,
            mat_width_in=order.mat_width_in,
        )
        assert q["price"] == order.price.model_dump(mode="json"), order.order_id


def test_tasks_cover_required_patterns(loaded):
    tasks = loaded.tasks
    assert len(tasks) >= 10
    refusals = [t for t in tasks if not t.criteria.actions]
    assert len(refusals) >= 2 and all(t.criteria.communicate for t in refusals)
    assert any(m.role == "tool" and m.content.startswith("Error:") for t in tasks for m in t.reference)
    for t in tasks:
        assert t.user.turns == [m.content for m in t.reference if m.role == "user"]
        spoken = " ".join(m.content or "" for m in t.reference if m.role == "assistant").lower()
        assert all(c.lower() in spoken for c in t.criteria.communicate), t.id


def test_a_task_whose_state_or_tools_break_is_a_config_error_naming_it(loaded):
    from gem_env.registration import make_env
    from tools_registry.domains import LoadedDomain
    from tools_registry.errors import ConfigError, ToolDefinitionError

    task = loaded.tasks[0]
    state = copy.deepcopy(loaded.domain.initial_state)
    state["customers"] = []
    bad_state = task.model_copy(update={"initial_state": state})
    tool = loaded.domain.tools[0].model_copy(update={"parameters": {"type": "x"}})
    bad_tools = task.model_copy(update={"tools": [tool]})
    for bad, error in ((bad_state, ConfigError), (bad_tools, ToolDefinitionError)):
        env = make_env(LoadedDomain(domain=loaded.domain, tasks=[bad], path=loaded.path, toolkit=loaded.toolkit))
        with pytest.raises(error, match=f"task '{task.id}' of domain 'photo-framing'"):
            env.reset(options={"task_id": task.id})


def test_a_final_state_that_is_not_a_json_patch_names_its_line(loaded, tmp_path):
    """Found by benchmarks/fuzz_input_files.py: a malformed patch loaded, then raised InvalidJsonPatch in the reward."""
    import shutil

    import orjson

    from tools_registry.domains import load_domain
    from tools_registry.errors import DomainError

    lines = (loaded.path / "tasks.jsonl").read_bytes().splitlines()
    for bad_patch in ([{"op": 1, "path": "/orders"}], [{"op": "add", "path": "orders", "value": 1}], [{"path": "/a"}]):
        row = orjson.loads(lines[1])
        row["criteria"]["final_state"] = bad_patch
        folder = tmp_path / f"d{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        shutil.copyfile(loaded.path / "domain.json", folder / "domain.json")
        (folder / "tasks.jsonl").write_bytes(b"\n".join([lines[0], orjson.dumps(row), *lines[2:]]))
        with pytest.raises(DomainError, match=r"tasks\.jsonl:2: .*not a JSON Patch"):
            load_domain(folder, load_tools=False)


def test_a_final_state_that_does_not_apply_is_a_config_error_naming_the_task(loaded):
    from gem_env.registration import make_env
    from tools_registry.domains import LoadedDomain
    from tools_registry.errors import ConfigError

    task = next(t for t in loaded.tasks if t.criteria.final_state)
    criteria = task.criteria.model_copy(update={"final_state": [{"op": "remove", "path": "/no/such/part"}]})
    bad = task.model_copy(update={"criteria": criteria})
    env = make_env(LoadedDomain(domain=loaded.domain, tasks=[bad], path=loaded.path, toolkit=loaded.toolkit))
    env.reset(options={"task_id": task.id})
    with pytest.raises(ConfigError, match=f"task '{task.id}' of domain 'photo-framing': criteria.final_state"):
        for m in task.reference:
            if m.role == "assistant":
                env.step(m.to_dict())


def test_a_domain_folder_without_tasks_names_its_tasks_file(loaded, tmp_path):
    import shutil

    from gem_env.registration import make_env
    from tools_registry.domains import LoadedDomain, load_domain
    from tools_registry.errors import ConfigError

    shutil.copyfile(loaded.path / "domain.json", tmp_path / "domain.json")
    (tmp_path / "tasks.jsonl").write_bytes(b"\n")
    empty = load_domain(tmp_path, load_tools=False)
    with pytest.raises(ConfigError, match=r"has no tasks \(.*tasks\.jsonl\)"):
        make_env(LoadedDomain(domain=empty.domain, tasks=[], path=empty.path, toolkit=loaded.toolkit))
