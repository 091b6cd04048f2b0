"""Photo-framing shop: custom frame orders taken by chat.

A framing shop (Juniper Street Framing, Portland OR) frames customers' photos and prints. An order
is one framed piece: a frame profile (moulding), a glazing, an optional mat, and a delivery
method. The outer size of the piece is the artwork size plus the mat border on every side; prices
and most limits are expressed in united inches (UI = outer width + outer height):

- frame price   = frame rate per UI x UI          (each profile has a min/max supported UI)
- glazing price = glazing rate per sq in x outer area   (glass is limited to 80 UI; only acrylic ships)
- mat price     = mat rate per UI x UI            (some profiles cannot hold a mat; small artwork cannot be matted)
- fitting fee   = flat per order
- shipping      = flat fee by UI band; pieces above the shipping limit are pickup only

Orders can be changed or cancelled only while their status is ``received`` (before production).
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Literal

from pydantic import Field

from tools_registry import Toolkit, ToolError, require, tool
from tools_registry.authoring import StateModel, cents

OrderStatus = Literal["received", "in_production", "ready_for_pickup", "shipped", "completed", "cancelled"]
Delivery = Literal["ship", "pickup"]


class Address(StateModel):
    street: str = Field(description="Street address, including unit number if any.")
    city: str = Field(description="City.")
    state: str = Field(description="Two-letter US state code.")
    zip_code: str = Field(description="Five-digit US ZIP code.")


class Customer(StateModel):
    customer_id: str = Field(description="Account id, e.g. 'CUS-3041'.")
    name: str = Field(description="Full name on the account.")
    email: str = Field(description="Email address on the account (lowercase).")
    phone: str = Field(description="Phone number on the account.")
    address: Address | None = Field(default=None, description="Shipping address on file, if any.")
    order_ids: list[str] = Field(default_factory=list, description="Orders placed by this customer.")


class FrameProfile(StateModel):
    frame_id: str = Field(description="Frame profile id, e.g. 'FR-OAK-NAT'.")
    name: str = Field(description="Profile name as shown in the catalog.")
    material: Literal["wood", "metal"] = Field(description="Moulding material.")
    colour: str = Field(description="Finish colour.")
    face_width_in: float = Field(description="Visible width of the moulding face, in inches.")
    price_per_united_inch: float = Field(description="Moulding price per united inch of the outer size, USD.")
    min_united_inches: int = Field(description="Smallest outer size the profile supports, in united inches.")
    max_united_inches: int = Field(description="Largest outer size the profile supports, in united inches.")
    accepts_mat: bool = Field(description="False when the rabbet is too shallow to hold a mat.")
    in_stock: bool = Field(description="Whether the moulding can be ordered now.")


class GlazingOption(StateModel):
    glazing_id: str = Field(description="Glazing id, e.g. 'GL-AR'.")
    name: str = Field(description="Glazing name.")
    kind: Literal["glass", "acrylic"] = Field(description="Glass or acrylic.")
    price_per_sq_in: float = Field(description="Price per square inch of the outer size, USD.")
    max_united_inches: int = Field(description="Largest outer size this glazing can be cut to, in united inches.")
    uv_protection_pct: int = Field(description="Share of UV light blocked, percent.")
    anti_reflective: bool = Field(description="Whether it has an anti-reflective coating.")


class MatBoard(StateModel):
    mat_id: str = Field(description="Mat board id, e.g. 'MAT-WHT'.")
    name: str = Field(description="Mat board name.")
    colour: str = Field(description="Face colour.")
    ply: int = Field(description="Board thickness in plies (4 or 8).")
    price_per_united_inch: float = Field(description="Mat price per united inch of the outer size, USD.")


class Price(StateModel):
    frame: float = Field(description="Moulding, USD.")
    glazing: float = Field(description="Glazing, USD.")
    mat: float = Field(description="Mat, USD (0 without a mat).")
    fitting: float = Field(description="Fitting and assembly fee, USD.")
    shipping: float = Field(description="Shipping fee, USD (0 for pickup).")
    total: float = Field(description="Sum of the above, USD.")


class Order(StateModel):
    order_id: str = Field(description="Order id, e.g. 'ORD-50211'.")
    customer_id: str = Field(description="Account that placed the order.")
    status: OrderStatus = Field(description="Where the order is in its life cycle.")
    placed_on: str = Field(description="Date placed, YYYY-MM-DD.")
    ready_date: str = Field(description="Date the piece is ready for pickup or leaves the shop, YYYY-MM-DD.")
    frame_id: str = Field(description="Frame profile.")
    artwork_width_in: float = Field(description="Artwork width, inches.")
    artwork_height_in: float = Field(description="Artwork height, inches.")
    mat_id: str | None = Field(default=None, description="Mat board, or null without a mat.")
    mat_width_in: float | None = Field(default=None, description="Mat border width on each side, inches.")
    glazing_id: str = Field(description="Glazing.")
    delivery: Delivery = Field(description="Shipping or in-store pickup.")
    ship_to: Address | None = Field(default=None, description="Shipping address (ship orders only).")
    outer_width_in: float = Field(description="Outer width (artwork + mat borders), inches.")
    outer_height_in: float = Field(description="Outer height (artwork + mat borders), inches.")
    united_inches: float = Field(description="Outer width + outer height.")
    price: Price = Field(description="Price breakdown, USD.")
    refund_amount: float | None = Field(default=None, description="Amount refunded when cancelled, USD.")


class ShopSettings(StateModel):
    today: str = Field(description="The current date, YYYY-MM-DD.")
    fitting_fee: float = Field(description="Flat fitting and assembly fee per order, USD.")
    shipping_fee: float = Field(description="Shipping fee for pieces up to oversize_from_united_inches, USD.")
    oversize_shipping_fee: float = Field(description="Shipping fee for larger pieces, USD.")
    oversize_from_united_inches: int = Field(description="Pieces above this many UI pay the oversize fee.")
    max_ship_united_inches: int = Field(description="Pieces above this many UI cannot be shipped.")
    mat_widths_in: list[float] = Field(description="Mat border widths the shop cuts, inches.")
    mat_min_artwork_in: list[float] = Field(description="Smallest artwork that can be matted: [short side, long side].")
    min_artwork_side_in: float = Field(description="Smallest artwork side the shop frames, inches.")
    production_days: int = Field(description="Calendar days from order to ready date.")


class FramingState(StateModel):
    settings: ShopSettings = Field(description="Shop-wide settings and fees.")
    customers: dict[str, Customer] = Field(description="Customer accounts by id.")
    frames: dict[str, FrameProfile] = Field(description="Frame profiles by id.")
    glazing: dict[str, GlazingOption] = Field(description="Glazing options by id.")
    mats: dict[str, MatBoard] = Field(description="Mat boards by id.")
    orders: dict[str, Order] = Field(description="Orders by id.")
    next_order_number: int = Field(description="Number of the next order id (ORD-<number>).")


def _money(value: Decimal) -> float:
    return float(cents(value))


def _num(value: float) -> str:
    """Inches for messages: 11.0 -> '11', 2.5 -> '2.5'."""
    return f"{value:g}"


class PhotoFramingToolkit(Toolkit):
    """Tools of Juniper Street Framing's order desk."""

    State = FramingState
    state: FramingState

    # ---- helpers (not tools) -------------------------------------------------------------------
    def _customer(self, customer_id: str) -> Customer:
        cust = self.state.customers.get(customer_id)
        require(cust is not None, f"customer {customer_id} not found")
        return cust  # type: ignore[return-value]

    def _order(self, order_id: str) -> Order:
        order = self.state.orders.get(order_id)
        require(order is not None, f"order {order_id} not found")
        return order  # type: ignore[return-value]

    def configure(
        self,
        frame_id: str,
        artwork_width_in: float,
        artwork_height_in: float,
        glazing_id: str,
        delivery: str,
        mat_id: str | None,
        mat_width_in: float | None,
        ship_to: Address | None,
    ) -> dict:
        """Check a configuration against every constraint and price it (raises ToolError)."""
        s = self.state.settings
        frame = self.state.frames.get(frame_id)
        if frame is None:
            raise ToolError(f"frame {frame_id} not found")
        if not frame.in_stock:
            raise ToolError(f"frame {frame_id} is out of stock")
        glazing = self.state.glazing.get(glazing_id)
        if glazing is None:
            raise ToolError(f"glazing {glazing_id} not found")
        if delivery not in ("ship", "pickup"):
            raise ToolError("delivery must be 'ship' or 'pickup'")
        w, h = float(artwork_width_in), float(artwork_height_in)
        if not min(w, h) >= s.min_artwork_side_in:  # messages are built only when a check fails
            raise ToolError(f"artwork sides must be at least {_num(s.min_artwork_side_in)} in")
        if (mat_id is None) != (mat_width_in is None):
            raise ToolError("mat_id and mat_width_in must be given together")
        mat = None
        border = 0.0
        if mat_id is not None:
            mat = self.state.mats.get(mat_id)
            if mat is None:
                raise ToolError(f"mat {mat_id} not found")
            if not frame.accepts_mat:
                raise ToolError(f"frame {frame_id} does not accept a mat")
            short_min, long_min = s.mat_min_artwork_in
            if not (min(w, h) >= short_min and max(w, h) >= long_min):
                raise ToolError(
                    f"artwork {_num(w)}x{_num(h)} in is below the {_num(short_min)}x{_num(long_min)} in minimum for a mat"
                )
            border = float(mat_width_in)  # type: ignore[arg-type]
            if border not in s.mat_widths_in:
                raise ToolError(f"mat width must be one of {', '.join(_num(x) for x in s.mat_widths_in)} in")
        ow, oh = w + 2 * border, h + 2 * border
        ui = ow + oh
        if not frame.min_united_inches <= ui <= frame.max_united_inches:
            raise ToolError(
                f"outer size {_num(ow)}x{_num(oh)} in ({_num(ui)} UI) is outside frame {frame_id}'s "
                f"{frame.min_united_inches}-{frame.max_united_inches} UI range"
            )
        if not ui <= glazing.max_united_inches:
            raise ToolError(
                f"{glazing.name.lower()} is limited to {glazing.max_united_inches} UI; this piece is {_num(ui)} UI"
            )
        if delivery == "ship":
            if not ui <= s.max_ship_united_inches:
                raise ToolError(
                    f"pieces over {s.max_ship_united_inches} UI cannot be shipped; this piece is {_num(ui)} UI"
                )
            if glazing.kind != "acrylic":
                raise ToolError("glass glazing cannot be shipped")
        D = lambda x: Decimal(str(x))  # noqa: E731
        frame_p = D(frame.price_per_united_inch) * D(ui)
        glazing_p = D(glazing.price_per_sq_in) * D(ow) * D(oh)
        mat_p = D(mat.price_per_united_inch) * D(ui) if mat is not None else Decimal(0)
        fitting = D(s.fitting_fee)
        shipping = Decimal(0)
        if delivery == "ship":
            shipping = D(s.oversize_shipping_fee) if ui > s.oversize_from_united_inches else D(s.shipping_fee)
        parts = [_money(frame_p), _money(glazing_p), _money(mat_p), _money(fitting), _money(shipping)]
        price = Price(
            frame=parts[0],
            glazing=parts[1],
            mat=parts[2],
            fitting=parts[3],
            shipping=parts[4],
            total=_money(sum(Decimal(str(p)) for p in parts)),
        )
        return {
            "frame_id": frame_id,
            "artwork_width_in": w,
            "artwork_height_in": h,
            "mat_id": mat_id,
            "mat_width_in": border if mat is not None else None,
            "glazing_id": glazing_id,
            "delivery": delivery,
            "ship_to": ship_to if delivery == "ship" else None,
            "outer_width_in": ow,
            "outer_height_in": oh,
            "united_inches": ui,
            "price": price,
        }

    def _ship_address(self, customer: Customer, delivery: str) -> Address | None:
        if delivery != "ship":
            return None
        require(customer.address is not None, f"customer {customer.customer_id} has no shipping address on file")
        return customer.address.model_copy(deep=True)

    # ---- read tools ----------------------------------------------------------------------------
    @tool
    def find_customer(self, email: str) -> dict:
        """Find a customer account by email address and return its details and order ids.

        Args:
            email: The email address the customer gives (case-insensitive).
        """
        wanted = email.strip().lower()
        for cust in self.state.customers.values():
            if cust.email == wanted:
                return cust.model_dump(mode="json")
        raise ToolError(f"no customer with email {wanted}")

    @tool
    def get_order(self, order_id: str) -> dict:
        """Get one order's configuration, status, ready date and price breakdown.

        Args:
            order_id: The order id, e.g. 'ORD-50211'.
        """
        return self._order(order_id).model_dump(mode="json")

    @tool
    def list_frames(self, material: Literal["wood", "metal", "any"] = "any") -> list[dict]:
        """List the frame profiles in the catalog with their size limits, mat compatibility and rates.

        Args:
            material: Only profiles of this moulding material: 'wood', 'metal', or 'any' for all.
        """
        return [
            f.model_dump(mode="json") for f in self.state.frames.values() if material == "any" or f.material == material
        ]

    @tool
    def list_glazing(self) -> list[dict]:
        """List the glazing options (glass and acrylic) with their size limits, UV protection and rates."""
        return [g.model_dump(mode="json") for g in self.state.glazing.values()]

    @tool
    def list_mats(self) -> dict:
        """List the mat boards, the mat border widths the shop cuts and the smallest artwork that can be matted."""
        s = self.state.settings
        return {
            "mats": [m.model_dump(mode="json") for m in self.state.mats.values()],
            "mat_widths_in": list(s.mat_widths_in),
            "min_artwork_for_mat_in": list(s.mat_min_artwork_in),
        }

    @tool
    def get_quote(
        self,
        frame_id: str,
        artwork_width_in: float,
        artwork_height_in: float,
        glazing_id: str,
        delivery: Delivery,
        mat_id: str | None = None,
        mat_width_in: float | None = None,
    ) -> dict:
        """Check a framing configuration against the shop's constraints and price it, without ordering.

        Args:
            frame_id: Frame profile id, e.g. 'FR-OAK-NAT'.
            artwork_width_in: Width of the photo or print, in inches.
            artwork_height_in: Height of the photo or print, in inches.
            glazing_id: Glazing id, e.g. 'GL-STD'.
            delivery: 'ship' to the address on the account, or 'pickup' in store.
            mat_id: Mat board id, e.g. 'MAT-WHT'; omit for no mat.
            mat_width_in: Mat border width on each side, in inches; required with mat_id.
        """
        cfg = self.configure(
            frame_id, artwork_width_in, artwork_height_in, glazing_id, delivery, mat_id, mat_width_in, None
        )
        cfg.pop("ship_to")
        cfg["price"] = cfg["price"].model_dump(mode="json")
        return cfg

    # ---- write tools ---------------------------------------------------------------------------
    @tool(mutates=True)
    def place_order(
        self,
        customer_id: str,
        frame_id: str,
        artwork_width_in: float,
        artwork_height_in: float,
        glazing_id: str,
        delivery: Delivery,
        mat_id: str | None = None,
        mat_width_in: float | None = None,
    ) -> dict:
        """Place a framing order for a customer; it is paid in full with the card on the account.

        Args:
            customer_id: The customer's account id, e.g. 'CUS-3041'.
            frame_id: Frame profile id, e.g. 'FR-OAK-NAT'.
            artwork_width_in: Width of the photo or print, in inches.
            artwork_height_in: Height of the photo or print, in inches.
            glazing_id: Glazing id, e.g. 'GL-STD'.
            delivery: 'ship' to the address on the account, or 'pickup' in store.
            mat_id: Mat board id, e.g. 'MAT-WHT'; omit for no mat.
            mat_width_in: Mat border width on each side, in inches; required with mat_id.
        """
        cust = self._customer(customer_id)
        ship_to = self._ship_address(cust, delivery)
        cfg = self.configure(
            frame_id, artwork_width_in, artwork_height_in, glazing_id, delivery, mat_id, mat_width_in, ship_to
        )
        s = self.state.settings
        order_id = f"ORD-{self.state.next_order_number}"
        ready = _dt.date.fromisoformat(s.today) + _dt.timedelta(days=s.production_days)
        order = Order(
            order_id=order_id,
            customer_id=customer_id,
            status="received",
            placed_on=s.today,
            ready_date=ready.isoformat(),
            **cfg,
        )
        self.state.orders[order_id] = order
        cust.order_ids.append(order_id)
        self.state.next_order_number += 1
        return order.model_dump(mode="json")

    @tool(mutates=True)
    def modify_order(
        self,
        order_id: str,
        frame_id: str | None = None,
        glazing_id: str | None = None,
        mat_id: str | None = None,
        mat_width_in: float | None = None,
        remove_mat: bool = False,
        delivery: Delivery | None = None,
    ) -> dict:
        """Change the frame, glazing, mat or delivery of an order that has not entered production; reprices it.

        Args:
            order_id: The order id, e.g. 'ORD-50214'.
            frame_id: New frame profile id; omit to keep the current one.
            glazing_id: New glazing id; omit to keep the current one.
            mat_id: New mat board id; omit to keep the current mat (a new mat also needs mat_width_in).
            mat_width_in: New mat border width on each side, in inches; omit to keep the current width.
            remove_mat: True to take the mat off the order (do not combine with mat_id or mat_width_in).
            delivery: New delivery method, 'ship' or 'pickup'; omit to keep the current one.
        """
        order = self._order(order_id)
        require(order.status == "received", f"order {order_id} is {order.status} and can no longer be changed")
        require(
            not (remove_mat and (mat_id is not None or mat_width_in is not None)),
            "remove_mat cannot be combined with mat_id or mat_width_in",
        )
        require(
            any(v is not None for v in (frame_id, glazing_id, mat_id, mat_width_in, delivery)) or remove_mat,
            "no change requested",
        )
        new_mat = None if remove_mat else (mat_id if mat_id is not None else order.mat_id)
        new_width = None if remove_mat else (mat_width_in if mat_width_in is not None else order.mat_width_in)
        new_delivery = delivery or order.delivery
        cust = self._customer(order.customer_id)
        ship_to = self._ship_address(cust, new_delivery) if new_delivery == "ship" else None
        if new_delivery == "ship" and order.delivery == "ship" and order.ship_to is not None:
            ship_to = order.ship_to
        cfg = self.configure(
            frame_id or order.frame_id,
            order.artwork_width_in,
            order.artwork_height_in,
            glazing_id or order.glazing_id,
            new_delivery,
            new_mat,
            new_width,
            ship_to,
        )
        previous_total = order.price.total
        for key, value in cfg.items():
            setattr(order, key, value)
        out = order.model_dump(mode="json")
        out["previous_total"] = previous_total
        out["price_difference"] = _money(Decimal(str(order.price.total)) - Decimal(str(previous_total)))
        return out

    @tool(mutates=True)
    def cancel_order(self, order_id: str) -> dict:
        """Cancel an order that has not entered production and refund its full total to the card on file.

        Args:
            order_id: The order id, e.g. 'ORD-50220'.
        """
        order = self._order(order_id)
        require(order.status == "received", f"order {order_id} is {order.status} and can no longer be cancelled")
        order.status = "cancelled"
        order.refund_amount = order.price.total
        return {"order_id": order_id, "status": order.status, "refund_amount": order.refund_amount}

    @tool(mutates=True)
    def update_shipping_address(self, customer_id: str, street: str, city: str, state: str, zip_code: str) -> dict:
        """Set the shipping address on a customer's account; it also applies to their not-yet-produced ship orders.

        Args:
            customer_id: The customer's account id, e.g. 'CUS-3057'.
            street: Street address, including apartment or unit number if any.
            city: City name.
            state: Two-letter US state code, e.g. 'OR'.
            zip_code: Five-digit US ZIP code.
        """
        cust = self._customer(customer_id)
        st = state.strip().upper()
        require(len(st) == 2 and st.isalpha(), "state must be a two-letter US state code")
        z = zip_code.strip()
        require(len(z) == 5 and z.isdigit(), "zip_code must be a five-digit US ZIP code")
        require(bool(street.strip()) and bool(city.strip()), "street and city are required")
        cust.address = Address(street=street.strip(), city=city.strip(), state=st, zip_code=z)
        updated = []
        for oid in cust.order_ids:
            order = self.state.orders[oid]
            if order.status == "received" and order.delivery == "ship":
                order.ship_to = cust.address.model_copy(deep=True)
                updated.append(oid)
        return {"customer_id": customer_id, "address": cust.address.model_dump(mode="json"), "orders_updated": updated}
