"""A tiny domain written in the test (a folder in tmp_path): a shop with items and orders."""

from __future__ import annotations

import textwrap

import pytest

from tools_registry.domains import load_domain, load_toolkit, save_domain
from tools_registry.records import Domain
from tools_registry.reference import ReferenceBuilder

TOOLS_PY = textwrap.dedent('''
    """Tiny shop: look items up, order them, cancel orders."""
    from pydantic import BaseModel, Field

    from tools_registry import Toolkit, ToolError, require, tool


    class Item(BaseModel):
        item_id: str
        name: str
        price: int
        stock: int


    class Order(BaseModel):
        order_id: str
        item_id: str
        quantity: int
        status: str = "placed"
        tags: list[str] = Field(default_factory=list)


    class State(BaseModel):
        items: list[Item] = Field(default_factory=list)
        orders: list[Order] = Field(default_factory=list)


    class Shop(Toolkit):
        State = State

        @tool
        def get_item(self, item_id: str) -> dict:
            """Look up an item.

            Args:
                item_id: The item id, e.g. 'I-1'.
            """
            for it in self.state.items:
                if it.item_id == item_id:
                    return it.model_dump()
            raise ToolError(f"no item {item_id}")

        @tool(mutates=True)
        def place_order(self, item_id: str, quantity: int, tags: list[str] | None = None) -> dict:
            """Order an item.

            Args:
                item_id: The item id.
                quantity: How many (1-5).
                tags: Optional labels.
            """
            require(1 <= quantity <= 5, "quantity must be between 1 and 5")
            item = next((i for i in self.state.items if i.item_id == item_id), None)
            require(item is not None, f"no item {item_id}")
            require(item.stock >= quantity, "not enough stock")
            item.stock -= quantity
            order = Order(order_id=f"O-{len(self.state.orders) + 1}", item_id=item_id, quantity=quantity,
                          tags=tags or [])
            self.state.orders.append(order)
            return order.model_dump()

        @tool(mutates=True)
        def cancel_order(self, order_id: str) -> str:
            """Cancel an order.

            Args:
                order_id: The order id.
            """
            for o in self.state.orders:
                if o.order_id == order_id:
                    o.status = "cancelled"
                    return "cancelled"
            raise KeyError(f"no order {order_id}")
''')

INITIAL = {
    "items": [
        {"item_id": "I-1", "name": "lamp", "price": 30, "stock": 4},
        {"item_id": "I-2", "name": "chair", "price": 80, "stock": 1},
    ],
    "orders": [],
}


def build_tiny_domain(root, name: str = "tiny-shop"):
    """Write the tiny domain (3 tasks built by really running the tools) and return its folder."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tools.py").write_text(TOOLS_PY)
    kit = load_toolkit(folder / "tools.py", name)
    tasks = []

    b = ReferenceBuilder(kit, INITIAL)
    b.user("Please order two lamps, item I-1.")
    b.call("get_item", item_id="I-1")
    b.call("place_order", item_id="I-1", quantity=2)
    b.assistant("Done: order O-1 for 2 lamps, total $60.")
    b.user("Thanks!")
    b.assistant("You're welcome.")
    tasks.append(
        b.task(
            "order-lamps",
            name,
            user={"instruction": "Order two lamps (I-1).", "turns": ["Please order two lamps, item I-1.", "Thanks!"]},
            communicate=["O-1", "$60"],
        )
    )

    b = ReferenceBuilder(kit, INITIAL)
    b.user("How much is the chair I-2?")
    b.call("get_item", item_id="I-2")
    b.assistant("The chair costs $80.")
    tasks.append(b.task("chair-price", name, user={"instruction": "Ask the price of chair I-2."}, communicate=["$80"]))

    b = ReferenceBuilder(kit, INITIAL)
    b.user("Order 3 chairs I-2, tagged gift.")
    b.call("place_order", item_id="I-2", quantity=3, tags=["gift"], expect_error=True)
    b.call("place_order", item_id="I-2", quantity=1, tags=["gift", "red"])
    b.assistant("Only one chair was in stock; I ordered it as O-1.")
    tasks.append(b.task("chair-stock", name, user={"instruction": "Order 3 chairs tagged gift."}, communicate=["O-1"]))

    domain = Domain(
        name=name,
        description="A tiny shop for tests.",
        policy="You are a shop assistant.",
        tools=kit.tool_specs(),
        state_schema=kit.state_schema(),
        initial_state=INITIAL,
        max_turns=12,
    )
    save_domain(domain, tasks, folder)
    return folder


@pytest.fixture
def tiny_domain(tmp_path):
    """The tiny domain, loaded."""
    return load_domain(build_tiny_domain(tmp_path))
