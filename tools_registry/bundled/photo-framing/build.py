"""Authoring script of the photo-framing domain: initial state, policy, tasks.

Run ``python tools_registry/bundled/photo-framing/build.py`` to (re)write domain.json and
tasks.jsonl beside this file. Every reference tool call runs against the real tools while the
conversation is written, so outputs, gold write actions and the expected final state are exact.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

from tools_registry.authoring import TaskList, write_domain
from tools_registry.domains import load_toolkit
from tools_registry.records import Domain

HERE = Path(__file__).resolve().parent
NAME = "photo-framing"
Kit = load_toolkit(HERE / "tools.py", NAME)
ORDER_MODEL = sys.modules[Kit.__module__].Order


# ---------------------------------------------------------------------------------------------
# Initial state
# ---------------------------------------------------------------------------------------------


def _addr(street: str, city: str, state: str, zip_code: str) -> dict[str, str]:
    return {"street": street, "city": city, "state": state, "zip_code": zip_code}


CUSTOMERS = [
    (
        "CUS-3041",
        "Maya Okafor",
        "maya.okafor@gmail.com",
        "(503) 555-0142",
        _addr("2218 SE Clinton St", "Portland", "OR", "97202"),
    ),
    (
        "CUS-3042",
        "Daniel Brennan",
        "dan.brennan@outlook.com",
        "(503) 555-0178",
        _addr("4410 N Williams Ave Apt 3", "Portland", "OR", "97217"),
    ),
    ("CUS-3057", "Priya Raman", "priya.raman@fastmail.com", "(971) 555-0119", None),
    (
        "CUS-3063",
        "Tomas Herrera",
        "tomas.herrera@yahoo.com",
        "(503) 555-0164",
        _addr("815 NW 23rd Ave", "Portland", "OR", "97210"),
    ),
    (
        "CUS-3078",
        "Grace Liu",
        "grace.liu@protonmail.com",
        "(360) 555-0131",
        _addr("1207 Main St", "Vancouver", "WA", "98660"),
    ),
    (
        "CUS-3085",
        "Harold Jennings",
        "h.jennings@comcast.net",
        "(541) 555-0187",
        _addr("96 Oak Grove Rd", "Bend", "OR", "97701"),
    ),
    (
        "CUS-3090",
        "Sofia Marchetti",
        "sofia.marchetti@gmail.com",
        "(503) 555-0105",
        _addr("3321 SE Hawthorne Blvd", "Portland", "OR", "97214"),
    ),
    (
        "CUS-3102",
        "Kwame Asante",
        "kwame.asante@gmail.com",
        "(971) 555-0150",
        _addr("640 SW Gibbs St", "Portland", "OR", "97239"),
    ),
    (
        "CUS-3114",
        "Elena Petrova",
        "elena.petrova@icloud.com",
        "(206) 555-0172",
        _addr("5512 Roosevelt Way NE", "Seattle", "WA", "98105"),
    ),
    (
        "CUS-3120",
        "Ben Carter",
        "ben.carter@gmail.com",
        "(503) 555-0126",
        _addr("2930 NE Alberta St", "Portland", "OR", "97211"),
    ),
    (
        "CUS-3131",
        "Aiko Tanaka",
        "aiko.tanaka@gmail.com",
        "(503) 555-0193",
        _addr("1535 SE Ankeny St", "Portland", "OR", "97214"),
    ),
    (
        "CUS-3136",
        "Marcus Webb",
        "marcus.webb@hey.com",
        "(541) 555-0148",
        _addr("2045 Alder St", "Eugene", "OR", "97405"),
    ),
    (
        "CUS-3147",
        "Samir Haddad",
        "samir.haddad@gmail.com",
        "(971) 555-0167",
        _addr("4801 SE Division St", "Portland", "OR", "97206"),
    ),
]

FRAMES = [
    # id, name, material, colour, face, $/UI, min UI, max UI, accepts mat, in stock
    ("FR-OAK-NAT", "Natural Oak Flat 1.25 in", "wood", "natural oak", 1.25, 1.10, 16, 110, True, True),
    ("FR-WAL-DRK", "Dark Walnut Flat 1.5 in", "wood", "dark walnut", 1.5, 1.60, 20, 120, True, True),
    ("FR-CHY-SHK", "Cherry Shaker 1.5 in", "wood", "cherry", 1.5, 1.45, 20, 100, True, False),
    ("FR-GAL-BLK", "Gallery Black 1 in", "wood", "black", 1.0, 0.95, 14, 100, True, True),
    ("FR-GAL-WHT", "Gallery White 1 in", "wood", "white", 1.0, 0.95, 14, 100, True, True),
    ("FR-ORN-GLD", "Baroque Ornate Gold 3 in", "wood", "antique gold", 3.0, 2.40, 30, 110, True, True),
    ("FR-MTL-SLV", "Brushed Silver Metal 0.75 in", "metal", "brushed silver", 0.75, 0.85, 16, 90, True, True),
    ("FR-MTL-BLK", "Matte Black Metal 0.75 in", "metal", "matte black", 0.75, 0.85, 16, 90, True, True),
    ("FR-SLM-BLK", "Slim Black Metal 0.375 in", "metal", "black", 0.375, 0.70, 8, 60, False, True),
    ("FR-SLM-GLD", "Slim Gold Metal 0.375 in", "metal", "gold", 0.375, 0.70, 8, 60, False, True),
]

GLAZING = [
    # id, name, kind, $/sq in, max UI, UV %, anti-reflective
    ("GL-STD", "Standard clear glass", "glass", 0.06, 80, 45, False),
    ("GL-AR", "Anti-reflective glass", "glass", 0.15, 80, 70, True),
    ("GL-MUS", "Museum glass", "glass", 0.30, 80, 99, True),
    ("GL-ACR", "Clear acrylic", "acrylic", 0.10, 120, 66, False),
    ("GL-ACR-MUS", "Museum acrylic", "acrylic", 0.38, 120, 99, True),
]

MATS = [
    ("MAT-WHT", "Bright White", "bright white", 4, 0.40),
    ("MAT-CRM", "Antique Cream", "antique cream", 4, 0.40),
    ("MAT-GRY", "Slate Grey", "slate grey", 4, 0.40),
    ("MAT-BLK", "Black Core Black", "black", 4, 0.55),
    ("MAT-RAG", "Museum Rag White", "warm white", 8, 0.95),
]

SETTINGS = {
    "today": "2025-03-14",
    "fitting_fee": 18.0,
    "shipping_fee": 29.0,
    "oversize_shipping_fee": 49.0,
    "oversize_from_united_inches": 60,
    "max_ship_united_inches": 80,
    "mat_widths_in": [1.5, 2.0, 2.5, 3.0, 4.0],
    "mat_min_artwork_in": [4.0, 6.0],
    "min_artwork_side_in": 2.5,
    "production_days": 8,
}

# order id, customer, status, placed on, frame, w, h, mat, mat width, glazing, delivery
ORDERS = [
    ("ORD-50190", "CUS-3041", "completed", "2025-02-20", "FR-WAL-DRK", 16, 20, "MAT-CRM", 3, "GL-MUS", "pickup"),
    ("ORD-50198", "CUS-3078", "completed", "2025-02-27", "FR-GAL-WHT", 8, 10, "MAT-WHT", 2, "GL-STD", "pickup"),
    ("ORD-50202", "CUS-3114", "shipped", "2025-03-03", "FR-MTL-SLV", 12, 18, "MAT-GRY", 2, "GL-ACR", "ship"),
    ("ORD-50205", "CUS-3090", "ready_for_pickup", "2025-03-05", "FR-ORN-GLD", 20, 24, None, None, "GL-AR", "pickup"),
    (
        "ORD-50208",
        "CUS-3042",
        "ready_for_pickup",
        "2025-03-06",
        "FR-GAL-BLK",
        12,
        12,
        "MAT-WHT",
        2.5,
        "GL-STD",
        "pickup",
    ),
    ("ORD-50209", "CUS-3120", "in_production", "2025-03-08", "FR-GAL-BLK", 24, 36, None, None, "GL-ACR", "ship"),
    ("ORD-50211", "CUS-3041", "in_production", "2025-03-10", "FR-OAK-NAT", 11, 14, "MAT-WHT", 2, "GL-AR", "pickup"),
    ("ORD-50214", "CUS-3042", "received", "2025-03-13", "FR-WAL-DRK", 16, 20, "MAT-BLK", 2.5, "GL-AR", "pickup"),
    ("ORD-50216", "CUS-3078", "received", "2025-03-13", "FR-SLM-GLD", 5, 7, None, None, "GL-STD", "pickup"),
    ("ORD-50217", "CUS-3102", "received", "2025-03-13", "FR-MTL-BLK", 18, 24, None, None, "GL-STD", "pickup"),
    ("ORD-50219", "CUS-3063", "received", "2025-03-14", "FR-GAL-BLK", 8, 10, "MAT-WHT", 2, "GL-STD", "pickup"),
    ("ORD-50220", "CUS-3085", "received", "2025-03-14", "FR-ORN-GLD", 16, 20, "MAT-CRM", 3, "GL-ACR-MUS", "ship"),
]


def build_initial_state() -> dict[str, Any]:
    import datetime as dt

    state: dict[str, Any] = {
        "settings": SETTINGS,
        "customers": {
            cid: {"customer_id": cid, "name": name, "email": email, "phone": phone, "address": addr, "order_ids": []}
            for cid, name, email, phone, addr in CUSTOMERS
        },
        "frames": {
            fid: {
                "frame_id": fid,
                "name": name,
                "material": mat,
                "colour": col,
                "face_width_in": face,
                "price_per_united_inch": rate,
                "min_united_inches": lo,
                "max_united_inches": hi,
                "accepts_mat": accepts,
                "in_stock": stock,
            }
            for fid, name, mat, col, face, rate, lo, hi, accepts, stock in FRAMES
        },
        "glazing": {
            gid: {
                "glazing_id": gid,
                "name": name,
                "kind": kind,
                "price_per_sq_in": rate,
                "max_united_inches": hi,
                "uv_protection_pct": uv,
                "anti_reflective": ar,
            }
            for gid, name, kind, rate, hi, uv, ar in GLAZING
        },
        "mats": {
            mid: {"mat_id": mid, "name": name, "colour": col, "ply": ply, "price_per_united_inch": rate}
            for mid, name, col, ply, rate in MATS
        },
        "orders": {},
        "next_order_number": 50221,
    }
    # Existing orders are priced by the shop's own rules, so their figures agree with the tools.
    kit = Kit(copy.deepcopy(state))
    for oid, cid, status, placed, frame, w, h, mat, mw, glazing, delivery in ORDERS:
        cust = kit.state.customers[cid]
        cfg = kit.configure(frame, w, h, glazing, delivery, mat, mw, cust.address if delivery == "ship" else None)
        ready = dt.date.fromisoformat(placed) + dt.timedelta(days=SETTINGS["production_days"])
        order = ORDER_MODEL(
            order_id=oid, customer_id=cid, status=status, placed_on=placed, ready_date=ready.isoformat(), **cfg
        )
        kit.state.orders[oid] = order
        cust.order_ids.append(oid)
    return kit.dump_state()


INITIAL_STATE = build_initial_state()


# ---------------------------------------------------------------------------------------------
# Policy
# ---------------------------------------------------------------------------------------------

POLICY = """\
You are the order assistant of Juniper Street Framing, a custom picture-framing shop at 1420 SE Juniper St, Portland, OR (open Tuesday to Saturday, 10 am to 6 pm). You help customers by chat to get quotes, place framing orders for their photos and prints, check orders, change or cancel orders, and update their shipping address. Today is 2025-03-14. Prices are in US dollars.

How a framed piece is built and priced
- An order is one framed piece: a frame profile (moulding), a glazing (glass or acrylic), an optional mat, and a delivery method (ship or in-store pickup).
- A mat adds its border width to every side: outer size = artwork width + 2 x mat width by artwork height + 2 x mat width. Without a mat the outer size is the artwork size.
- Sizes and most limits are in united inches (UI) = outer width + outer height.
- Price = frame rate x UI + glazing rate x outer area (sq in) + mat rate x UI + an $18.00 fitting fee + shipping ($29.00 up to 60 UI, $49.00 above 60 UI; pickup is free). Orders are paid in full with the card on the account when placed.
- Production takes 8 days: an order placed today is ready (for pickup, or leaves the shop) on 2025-03-22. Shipped pieces arrive 3 to 5 business days after they leave.

Constraints you must check and explain (always run get_quote before proposing a configuration)
- Each frame profile supports a minimum and maximum outer size in UI; out-of-stock profiles cannot be ordered.
- Glass (standard, anti-reflective, museum) is limited to 80 UI; above that only acrylic is possible.
- Glass is never shipped: a piece that ships must have acrylic glazing (clear acrylic or museum acrylic).
- Pieces over 80 UI cannot be shipped at all; they are pickup only.
- Mats are cut in 1.5, 2, 2.5, 3 and 4 inch borders. Slim metal profiles cannot hold a mat. Artwork smaller than 4x6 inches cannot be matted.
- When a request breaks a constraint, tell the customer which rule blocks it and the numbers involved, then offer the closest alternatives that do work (quote them), and let the customer choose. Never place or change an order the customer has not chosen.

Identity and ownership
- Quotes and catalog questions need no account.
- Before you disclose any order or account detail, or place, change or cancel anything, identify the customer: look the account up with find_customer using the email they give, and check that the full name they give matches the account. If it does not match, do not proceed.
- Only discuss, change or cancel orders listed on the verified customer's own account, even if the customer says they act for someone else. Never reveal anything about an order that is not on their account.

Writes
- Before any write (place_order, modify_order, cancel_order, update_shipping_address), state exactly what will be done, including the configuration, the price or price change, and the delivery address for shipped pieces, and wait for the customer's explicit "yes". One confirmation may cover several writes if you listed them all.
- Shipped orders go to the address on the customer's account. If there is none, or the customer wants another address, update the account address first (with their confirmation). There is no gift or one-off address.
- Orders can be changed or cancelled only while their status is "received". Once an order is in production (or later), refuse the change or cancellation, say why and when the piece will be ready; the customer may place a new order instead. The artwork size of an existing order cannot be changed.
- A cancellation refunds the order's full total to the card on file.

Things you must refuse
- Discounts, price matching, waived fees or custom prices: prices are fixed by the catalog.
- Configurations that break the constraints above, even if the customer insists.
- Acting on orders or accounts of anyone other than the verified customer.

Style: be concise and friendly; make one tool call at a time; never invent ids, sizes or choices the customer has not given (ask instead); give prices with two decimals."""

DESCRIPTION = (
    "A custom photo-framing shop taking orders by chat: frame profiles with size limits, glazing (glass vs "
    "acrylic, size and shipping limits), mats (widths, compatibility, minimum artwork size), united-inch "
    "pricing, quotes, and placing, changing and cancelling orders before production, with shipping or pickup."
)


# ---------------------------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------------------------


def money(x: float) -> str:
    return f"${x:,.2f}"


def js(out: str) -> Any:
    return json.loads(out)


TASKS = TaskList(NAME, Kit, INITIAL_STATE)


# 1. order status
b = TASKS.new()
b.user("Hi! I dropped off a print for framing a while ago and wanted to know if it's done yet.")
b.assistant("Happy to check! Could you give me the email address on your account and your full name?")
b.user("Sure, it's sofia.marchetti@gmail.com, Sofia Marchetti.")
cust = js(b.call("find_customer", email="sofia.marchetti@gmail.com"))
oid = cust["order_ids"][0]
order = js(b.call("get_order", order_id=oid))
b.assistant(
    f"Thanks, Sofia. Your order {oid} (the {order['artwork_width_in']:g}x{order['artwork_height_in']:g} in print in the "
    f"Baroque Ornate Gold frame with anti-reflective glass) is finished and ready for pickup since "
    f"{order['ready_date']}. You can collect it at 1420 SE Juniper St, Tuesday to Saturday, 10 am to 6 pm; "
    "it's already paid in full."
)
b.user("Wonderful, I'll come by tomorrow. Thanks!")
b.assistant("You're welcome! See you tomorrow.")
TASKS.finish(
    b,
    "order_status_ready",
    "Verified customer asks whether her order is done; it is ready for pickup.",
    instruction=(
        "You are Sofia Marchetti. A while ago you ordered a custom gold frame for a 20x24 print at Juniper "
        "Street Framing. Ask whether it is done. You do not know your order id. When asked, give your email "
        "and name. Once you know the status, say thanks and end the chat."
    ),
    persona="Cheerful, brief, writes casually.",
    known_info="Email sofia.marchetti@gmail.com; full name Sofia Marchetti.",
    unknown_info="Your order id and the exact date it was finished.",
    communicate=[oid, "ready for pickup"],
    patterns=["lookup"],
)


# 2. new order walnut
b = TASKS.new()
b.user(
    "Hello, I'd like to order a frame for an 11x14 photo of my grandmother. I'm thinking dark walnut, a 2 inch "
    "antique cream mat, and anti-reflective glass. I'll pick it up at the shop."
)
b.assistant("Lovely choice. To set this up on your account, could you tell me your email address and full name?")
b.user("aiko.tanaka@gmail.com, Aiko Tanaka.")
cust = js(b.call("find_customer", email="aiko.tanaka@gmail.com"))
q = js(
    b.call(
        "get_quote",
        frame_id="FR-WAL-DRK",
        artwork_width_in=11,
        artwork_height_in=14,
        glazing_id="GL-AR",
        delivery="pickup",
        mat_id="MAT-CRM",
        mat_width_in=2,
    )
)
p = q["price"]
b.assistant(
    f"Thanks, Aiko. Here is your quote for the 11x14 photo: with a 2 in mat on each side the framed piece is "
    f"{q['outer_width_in']:g}x{q['outer_height_in']:g} in ({q['united_inches']:g} united inches).\n"
    f"- Dark Walnut Flat 1.5 in frame: {money(p['frame'])}\n- Anti-reflective glass: {money(p['glazing'])}\n"
    f"- Antique Cream mat, 2 in: {money(p['mat'])}\n- Fitting: {money(p['fitting'])}\n- In-store pickup: free\n"
    f"Total: {money(p['total'])}, charged to the card on your account. It would be ready for pickup on 2025-03-22. "
    "Shall I place this order?"
)
b.user("That's a bit more than I hoped. It's my first order with you, is there a first-time customer discount?")
b.assistant(
    f"I'm sorry, our prices are fixed by the catalog and I can't apply discounts. If you'd like to bring the price "
    f"down, standard clear glass instead of anti-reflective would be the main saving. Would you like the order as "
    f"quoted at {money(p['total'])}, or should I price a different option?"
)
b.user("No, I'll keep the anti-reflective glass. Yes, please place the order as quoted.")
order = js(
    b.call(
        "place_order",
        customer_id=cust["customer_id"],
        frame_id="FR-WAL-DRK",
        artwork_width_in=11,
        artwork_height_in=14,
        glazing_id="GL-AR",
        delivery="pickup",
        mat_id="MAT-CRM",
        mat_width_in=2,
    )
)
b.assistant(
    f"Done! Your order {order['order_id']} is placed: 11x14 photo, Dark Walnut frame, 2 in Antique Cream mat, "
    f"anti-reflective glass, total {money(order['price']['total'])}. Please bring the photo to the shop; the "
    f"framed piece will be ready for pickup on {order['ready_date']}."
)
b.user("Perfect, thank you so much.")
b.assistant("You're welcome, Aiko. We'll take good care of it.")
TASKS.finish(
    b,
    "new_order_walnut_pickup",
    "New pickup order with mat and AR glass; a discount request is refused.",
    instruction=(
        "You are Aiko Tanaka. You want to order a frame for an 11x14 inch photo of your grandmother: dark "
        "walnut frame, a 2 inch antique cream mat, anti-reflective glass, picked up in the shop. When you "
        "get the price, ask for a first-time customer discount. If there is none, keep the anti-reflective "
        "glass and go ahead with the order as quoted."
    ),
    persona="Polite, a little price-conscious, writes full sentences.",
    known_info="Email aiko.tanaka@gmail.com; full name Aiko Tanaka; photo size 11x14 inches.",
    unknown_info="Prices, product ids and the ready date.",
    communicate=[order["order_id"], money(order["price"]["total"]), "2025-03-22"],
    patterns=["multi-step write", "policy refusal (discount)"],
)


# 3. clarify black frame
b = TASKS.new()
b.user("hey, can you frame a poster for me? something black and thin")
b.assistant(
    "Sure! A few questions so I can price it: what are the exact dimensions of the poster (width x height "
    "in inches)? And do you want a mat around it, glass or acrylic, and would you pick it up or have it "
    "shipped?"
)
b.user("it's 12x16. no mat, just plain glass, and I'll pick it up")
frames = js(b.call("list_frames", material="any"))
blacks = [f for f in frames if "black" in f["colour"]]
names = ", ".join(f"{f['name']} ({f['material']}, {f['face_width_in']:g} in face)" for f in blacks)
b.assistant(
    f"We have three black profiles: {names}. The thinnest is the Slim Black Metal at 0.375 in; the Gallery "
    "Black is wood. Which one would you like?"
)
b.user("the slimmest one")
q = js(
    b.call(
        "get_quote",
        frame_id="FR-SLM-BLK",
        artwork_width_in=12,
        artwork_height_in=16,
        glazing_id="GL-STD",
        delivery="pickup",
    )
)
p = q["price"]
b.assistant(
    f"Here's the quote for your 12x16 poster in the Slim Black Metal frame with standard clear glass, no mat "
    f"({q['united_inches']:g} united inches): frame {money(p['frame'])}, glass {money(p['glazing'])}, fitting "
    f"{money(p['fitting'])}, pickup free, total {money(p['total'])}. To place the order I need your account: "
    "what's your email and full name?"
)
b.user("samir.haddad@gmail.com, Samir Haddad")
cust = js(b.call("find_customer", email="samir.haddad@gmail.com"))
b.assistant(
    f"Thanks, Samir. To confirm: 12x16 poster, Slim Black Metal frame, standard clear glass, no mat, "
    f"in-store pickup, total {money(p['total'])} charged to the card on your account, ready on 2025-03-22. "
    "Shall I place it?"
)
b.user("yes go ahead")
order = js(
    b.call(
        "place_order",
        customer_id=cust["customer_id"],
        frame_id="FR-SLM-BLK",
        artwork_width_in=12,
        artwork_height_in=16,
        glazing_id="GL-STD",
        delivery="pickup",
    )
)
b.assistant(
    f"Your order {order['order_id']} is placed ({money(order['price']['total'])}). Drop off the poster at "
    f"the shop; it will be ready for pickup on {order['ready_date']}."
)
b.user("cool thanks")
b.assistant("Anytime, Samir!")
TASKS.finish(
    b,
    "clarify_thin_black_frame",
    "Vague request for a thin black frame; agent asks for size and options, then orders.",
    instruction=(
        "You are Samir Haddad. You want a poster framed in 'something black and thin'. Start vague: do not "
        "give the size or other options until asked. When asked: the poster is 12x16 inches, no mat, plain "
        "glass, you will pick it up. If offered several black frames, choose the slimmest one. Accept the "
        "order if the price is under $60."
    ),
    persona="Casual, types in lowercase, short messages.",
    known_info="Poster is 12x16 inches; email samir.haddad@gmail.com; full name Samir Haddad.",
    unknown_info="Which black frames exist, their ids and prices.",
    communicate=[order["order_id"], money(order["price"]["total"])],
    patterns=["clarification", "multi-step write"],
)


# 4. museum glass limit
b = TASKS.new()
b.user(
    "Hi, I have a 30x40 art print I want framed properly: dark walnut, a 3 inch museum rag mat, and museum "
    "glass. I'll pick it up. My email is ben.carter@gmail.com, I'm Ben Carter."
)
cust = js(b.call("find_customer", email="ben.carter@gmail.com"))
b.call(
    "get_quote",
    expect_error=True,
    frame_id="FR-WAL-DRK",
    artwork_width_in=30,
    artwork_height_in=40,
    glazing_id="GL-MUS",
    delivery="pickup",
    mat_id="MAT-RAG",
    mat_width_in=3,
)
b.assistant(
    "Thanks, Ben. I can't price that exact combination: with a 3 in mat the piece is 36x46 in, which is 82 united "
    "inches, and all our glass (including museum glass) is limited to 80 united inches. Two alternatives come "
    "closest: keep the 3 in mat with museum acrylic (same 99% UV protection, anti-reflective), or keep museum glass "
    "with a 2 in mat, which brings the piece to 78 united inches. Shall I quote both?"
)
b.user("Yes, please quote both, and I'll take whichever is cheaper.")
a = js(
    b.call(
        "get_quote",
        frame_id="FR-WAL-DRK",
        artwork_width_in=30,
        artwork_height_in=40,
        glazing_id="GL-ACR-MUS",
        delivery="pickup",
        mat_id="MAT-RAG",
        mat_width_in=3,
    )
)
g = js(
    b.call(
        "get_quote",
        frame_id="FR-WAL-DRK",
        artwork_width_in=30,
        artwork_height_in=40,
        glazing_id="GL-MUS",
        delivery="pickup",
        mat_id="MAT-RAG",
        mat_width_in=2,
    )
)
pa, pg = a["price"], g["price"]
assert pg["total"] < pa["total"]
b.assistant(
    f"Here they are (Dark Walnut frame, Museum Rag mat, pickup):\n"
    f"1) 3 in mat + museum acrylic, 36x46 in: frame {money(pa['frame'])}, acrylic {money(pa['glazing'])}, mat "
    f"{money(pa['mat'])}, fitting {money(pa['fitting'])}, total {money(pa['total'])}.\n"
    f"2) 2 in mat + museum glass, 34x44 in: frame {money(pg['frame'])}, glass {money(pg['glazing'])}, mat "
    f"{money(pg['mat'])}, fitting {money(pg['fitting'])}, total {money(pg['total'])}.\n"
    f"Option 2 is cheaper by {money(pa['total'] - pg['total'])}. Shall I place option 2 at {money(pg['total'])}, "
    "ready for pickup on 2025-03-22?"
)
b.user("Yes, option 2 please.")
order = js(
    b.call(
        "place_order",
        customer_id=cust["customer_id"],
        frame_id="FR-WAL-DRK",
        artwork_width_in=30,
        artwork_height_in=40,
        glazing_id="GL-MUS",
        delivery="pickup",
        mat_id="MAT-RAG",
        mat_width_in=2,
    )
)
b.assistant(
    f"Placed: order {order['order_id']}, 30x40 print, Dark Walnut, 2 in Museum Rag mat, museum glass, "
    f"{money(order['price']['total'])}. Ready for pickup on {order['ready_date']}."
)
b.user("Great, thanks.")
b.assistant("Thank you, Ben!")
TASKS.finish(
    b,
    "museum_glass_size_limit",
    "Museum glass over the 80 UI glass limit; agent quotes two alternatives, customer takes the cheaper.",
    instruction=(
        "You are Ben Carter. You want a 30x40 inch art print framed in dark walnut with a 3 inch museum "
        "rag mat and museum glass, picked up in store. Give your email and name in your first message. If "
        "the shop says it cannot be done, ask for the alternatives to be quoted and take whichever is "
        "cheaper."
    ),
    persona="Direct and decisive; knows framing terms.",
    known_info="Email ben.carter@gmail.com; full name Ben Carter; print is 30x40 inches.",
    unknown_info="The glass size limit, prices, and the shop's product ids.",
    communicate=["80", money(order["price"]["total"]), order["order_id"]],
    patterns=["error recovery", "constraint conflict", "multi-hop", "multi-step write"],
)


# 5. ship needs acrylic
b = TASKS.new()
b.user(
    "Hi, I'm Priya Raman (priya.raman@fastmail.com). I'd like a 16x20 print framed in natural oak with a 2 inch "
    "bright white mat and regular glass, and shipped to me please, I just moved and can't get to the shop."
)
cust = js(b.call("find_customer", email="priya.raman@fastmail.com"))
b.call(
    "get_quote",
    expect_error=True,
    frame_id="FR-OAK-NAT",
    artwork_width_in=16,
    artwork_height_in=20,
    glazing_id="GL-STD",
    delivery="ship",
    mat_id="MAT-WHT",
    mat_width_in=2,
)
b.assistant(
    "Thanks, Priya. One thing first: we never ship glass, so a piece that ships must have acrylic glazing. "
    "The closest option is clear acrylic (lighter and shatter-resistant, 66% UV protection); museum acrylic "
    "is also available if you want anti-reflective. Would clear acrylic work for you?"
)
b.user("Oh, ok. Clear acrylic is fine.")
q = js(
    b.call(
        "get_quote",
        frame_id="FR-OAK-NAT",
        artwork_width_in=16,
        artwork_height_in=20,
        glazing_id="GL-ACR",
        delivery="ship",
        mat_id="MAT-WHT",
        mat_width_in=2,
    )
)
p = q["price"]
b.assistant(
    f"Here's the quote: 16x20 print with a 2 in Bright White mat, {q['outer_width_in']:g}x{q['outer_height_in']:g} in "
    f"framed: Natural Oak frame {money(p['frame'])}, clear acrylic {money(p['glazing'])}, mat {money(p['mat'])}, "
    f"fitting {money(p['fitting'])}, shipping {money(p['shipping'])}, total {money(p['total'])}. Your account has "
    "no shipping address yet; what address should we ship to?"
)
b.user("It's 2710 NE Fremont St, Apt 5, Portland, OR 97212.")
b.assistant(
    "To confirm, I will:\n1) set the shipping address on your account to 2710 NE Fremont St, Apt 5, Portland, OR "
    f"97212;\n2) place the order: 16x20 print, Natural Oak frame, 2 in Bright White mat, clear acrylic, shipped to "
    f"that address, total {money(p['total'])} charged to your card on file. It leaves the shop on 2025-03-22 and "
    "arrives 3 to 5 business days later. Shall I go ahead?"
)
b.user("Yes, go ahead.")
b.call(
    "update_shipping_address",
    customer_id=cust["customer_id"],
    street="2710 NE Fremont St, Apt 5",
    city="Portland",
    state="OR",
    zip_code="97212",
)
order = js(
    b.call(
        "place_order",
        customer_id=cust["customer_id"],
        frame_id="FR-OAK-NAT",
        artwork_width_in=16,
        artwork_height_in=20,
        glazing_id="GL-ACR",
        delivery="ship",
        mat_id="MAT-WHT",
        mat_width_in=2,
    )
)
b.assistant(
    f"All set: your address is saved and order {order['order_id']} is placed for "
    f"{money(order['price']['total'])}. It ships on {order['ready_date']}."
)
b.user("Thank you!")
b.assistant("You're welcome, Priya. Enjoy the new place!")
TASKS.finish(
    b,
    "ship_requires_acrylic_new_address",
    "Shipping with glass is refused; customer switches to acrylic, adds an address, orders.",
    instruction=(
        "You are Priya Raman. You want a 16x20 print framed in natural oak with a 2 inch bright white mat and "
        "regular glass, shipped to your new apartment because you cannot get to the shop. Give your name and "
        "email in your first message. If told glass cannot ship, accept clear acrylic. Give your address when "
        "asked and confirm the order."
    ),
    persona="Friendly, busy, a bit hurried.",
    known_info="Email priya.raman@fastmail.com; full name Priya Raman; new address 2710 NE Fremont St, Apt 5, Portland, OR 97212.",
    unknown_info="That glass cannot be shipped; prices; that your account has no address.",
    communicate=[money(order["price"]["total"]), order["order_id"], "acrylic"],
    patterns=["error recovery", "constraint conflict", "multi-step write"],
)


# 6. slim frame no mat
b = TASKS.new()
b.user(
    "Hello! Last time you framed a small photo for me in a thin gold metal frame. I'd like the same frame for an "
    "8x10, this time with a 2 inch antique cream mat and standard glass. Pickup. I'm Grace Liu, "
    "grace.liu@protonmail.com."
)
cust = js(b.call("find_customer", email="grace.liu@protonmail.com"))
b.call(
    "get_quote",
    expect_error=True,
    frame_id="FR-SLM-GLD",
    artwork_width_in=8,
    artwork_height_in=10,
    glazing_id="GL-STD",
    delivery="pickup",
    mat_id="MAT-CRM",
    mat_width_in=2,
)
b.assistant(
    "Thanks, Grace. The Slim Gold Metal profile can't take a mat: its rabbet is too shallow to hold mat and "
    "glass together. The closest options are (a) the same Slim Gold Metal frame without a mat, or (b) a mat "
    "in a profile that takes one; our other gold frame is the Baroque Ornate Gold (3 in, much more "
    "decorative). Which would you prefer?"
)
b.user("I really want the slim gold look. Let's do it without the mat then.")
q = js(
    b.call(
        "get_quote",
        frame_id="FR-SLM-GLD",
        artwork_width_in=8,
        artwork_height_in=10,
        glazing_id="GL-STD",
        delivery="pickup",
    )
)
p = q["price"]
b.assistant(
    f"8x10 photo in Slim Gold Metal, standard clear glass, no mat, pickup: frame {money(p['frame'])}, glass "
    f"{money(p['glazing'])}, fitting {money(p['fitting'])}, total {money(p['total'])}, ready on 2025-03-22. "
    "Shall I place this order?"
)
b.user("Yes please.")
order = js(
    b.call(
        "place_order",
        customer_id=cust["customer_id"],
        frame_id="FR-SLM-GLD",
        artwork_width_in=8,
        artwork_height_in=10,
        glazing_id="GL-STD",
        delivery="pickup",
    )
)
b.assistant(
    f"Done: order {order['order_id']}, {money(order['price']['total'])}, ready for pickup on {order['ready_date']}."
)
b.user("Thanks!")
b.assistant("My pleasure, Grace.")
TASKS.finish(
    b,
    "slim_frame_cannot_take_mat",
    "Mat requested in a slim metal frame that cannot hold one; customer drops the mat.",
    instruction=(
        "You are Grace Liu. You want an 8x10 photo framed in the same thin gold metal frame as last time, "
        "with a 2 inch antique cream mat and standard glass, pickup. Give your name and email in your first "
        "message. If the mat is not possible in that frame, keep the slim gold frame and drop the mat."
    ),
    persona="Warm, loyal customer, concise.",
    known_info="Email grace.liu@protonmail.com; full name Grace Liu; photo is 8x10 inches.",
    unknown_info="That slim frames cannot hold a mat; prices; frame ids.",
    communicate=[money(order["price"]["total"]), order["order_id"]],
    patterns=["error recovery", "constraint conflict"],
)


# 7. small photo quote
b = TASKS.new()
b.user(
    "How much would it be to frame a 3.5x5 photo in your white gallery frame with a 1.5 inch white mat, shipped "
    "to Seattle? Clear glazing is fine."
)
b.call(
    "get_quote",
    expect_error=True,
    frame_id="FR-GAL-WHT",
    artwork_width_in=3.5,
    artwork_height_in=5,
    glazing_id="GL-ACR",
    delivery="ship",
    mat_id="MAT-WHT",
    mat_width_in=1.5,
)
b.call(
    "get_quote",
    "A mat isn't possible here: we can only mat artwork of at least 4x6 inches, and your photo is "
    "3.5x5. Let me check the Gallery White frame without a mat (shipped pieces need acrylic, so I'm pricing "
    "clear acrylic).",
    expect_error=True,
    frame_id="FR-GAL-WHT",
    artwork_width_in=3.5,
    artwork_height_in=5,
    glazing_id="GL-ACR",
    delivery="ship",
)
frames = js(b.call("list_frames", material="any"))
small = [f for f in frames if f["min_united_inches"] <= 8.5 and f["in_stock"]]
assert [f["frame_id"] for f in small] == ["FR-SLM-BLK", "FR-SLM-GLD"]
q = js(
    b.call(
        "get_quote",
        frame_id="FR-SLM-BLK",
        artwork_width_in=3.5,
        artwork_height_in=5,
        glazing_id="GL-ACR",
        delivery="ship",
    )
)
p = q["price"]
b.assistant(
    "To sum up: no mat is possible because your photo is under our 4x6 inch minimum for mats, and the Gallery "
    "White frame doesn't work either: without a mat the piece is 8.5 united inches and that profile "
    "starts at 14. The only profiles made for a photo this small are the Slim Black Metal and Slim Gold Metal (from 8 "
    f"united inches, no mat). Slim Black Metal with clear acrylic, shipped: frame {money(p['frame'])}, acrylic "
    f"{money(p['glazing'])}, fitting {money(p['fitting'])}, shipping {money(p['shipping'])}, total "
    f"{money(p['total'])} (Slim Gold is the same price). Would you like to order one of these?"
)
b.user("Hmm, so the shipping is more than the frame. I'll think about it. Thanks for checking.")
b.assistant(
    f"Of course. The quote stands at {money(p['total'])} whenever you're ready; with in-store pickup the "
    "shipping would drop off. Have a nice day!"
)
TASKS.finish(
    b,
    "small_photo_cannot_be_matted",
    "Quote for a tiny photo: mat below the 4x6 minimum, frame below its size range; only slim frames fit.",
    instruction=(
        "You ask for a price: a 3.5x5 inch photo in the white gallery frame with a 1.5 inch white mat, "
        "shipped to Seattle, clear glazing. You only want a quote today. Whatever the answer, you end by "
        "saying you'll think about it; do not place an order."
    ),
    persona="Curious, practical, asks short questions.",
    known_info="Photo size 3.5x5 inches; you live in Seattle.",
    unknown_info="The mat and frame size limits; prices.",
    communicate=["4x6", money(p["total"])],
    patterns=["error recovery", "constraint conflict", "multi-hop", "no write"],
)


# 8. cancel in production
b = TASKS.new()
b.user("Hi, I need to cancel my framing order. I found a better photo I'd rather use.")
b.assistant("I can look into that. What's the email address on your account and your full name?")
b.user("maya.okafor@gmail.com, Maya Okafor.")
cust = js(b.call("find_customer", email="maya.okafor@gmail.com"))
b.assistant(
    f"Thanks, Maya. I see two orders on your account: {', '.join(cust['order_ids'])}. Which one would you "
    "like to cancel?"
)
b.user("The 11x14 one in oak that I ordered a few days ago.")
order = js(b.call("get_order", order_id="ORD-50211"))
assert order["status"] == "in_production"
b.assistant(
    f"I'm sorry, order ORD-50211 is already in production, so it can no longer be cancelled or changed; cancellations "
    f"are only possible before production starts. It will be ready for pickup on {order['ready_date']}. If you'd "
    "like to frame the other photo, I can set up a new order for it."
)
b.user("Can't you just swap the photo in it? It's the same size.")
b.assistant(
    "Unfortunately not: once an order is in production its contents can't be changed. The existing piece "
    f"will be finished as ordered ({money(order['price']['total'])}, already paid). A new order for the "
    "other photo is the option I can offer."
)
b.user("Okay, I understand. I'll think about a new order later. Thanks.")
b.assistant("You're welcome, Maya. Your current piece will be waiting for you on 2025-03-18.")
TASKS.finish(
    b,
    "cancel_in_production_refused",
    "Customer wants to cancel an order already in production; agent refuses and gives the ready date.",
    instruction=(
        "You are Maya Okafor. You want to cancel your recent framing order (an 11x14 photo in an oak frame) "
        "because you found a better photo. You do not know the order id. If cancelling is refused, ask if they "
        "can just swap the photo since it is the same size. If that is refused too, accept it and end the chat "
        "without ordering anything new."
    ),
    persona="Slightly anxious but reasonable.",
    known_info="Email maya.okafor@gmail.com; full name Maya Okafor; the order is the 11x14 photo in oak.",
    unknown_info="Order id and status.",
    communicate=["in production", "2025-03-18"],
    patterns=["refusal", "policy (production lock)"],
)


# 9. oversize ship refused
b = TASKS.new()
b.user(
    "Hello, I'm Marcus Webb, marcus.webb@hey.com. I live in Eugene and want a 36x48 concert poster framed in "
    "matte black metal with acrylic, no mat, and shipped to my home."
)
b.call("find_customer", email="marcus.webb@hey.com")
b.call(
    "get_quote",
    expect_error=True,
    frame_id="FR-MTL-BLK",
    artwork_width_in=36,
    artwork_height_in=48,
    glazing_id="GL-ACR",
    delivery="ship",
)
q = js(
    b.call(
        "get_quote",
        frame_id="FR-MTL-BLK",
        artwork_width_in=36,
        artwork_height_in=48,
        glazing_id="GL-ACR",
        delivery="pickup",
    )
)
b.assistant(
    "Thanks, Marcus. I'm afraid we can't ship this one: a 36x48 piece is 84 united inches, and we only ship pieces "
    "up to 80 united inches. The same frame works with in-store pickup at our Portland shop: Matte Black Metal with "
    f"clear acrylic, total {money(q['price']['total'])}, ready on 2025-03-22. Would pickup be possible for you?"
)
b.user("Portland is two hours away for me, that doesn't work. Could you ship it anyway if I accept the risk?")
b.assistant(
    "I'm sorry, no: the 80 united inch shipping limit applies to every order, so pieces this size are pickup "
    "only. If someone could collect it for you, pickup is the way to go; otherwise we can't take this order."
)
b.user("Alright, then I'll skip it for now. Thanks anyway.")
b.assistant("Understood, Marcus. If pickup ever becomes possible, we'd be happy to frame it.")
TASKS.finish(
    b,
    "oversize_cannot_ship",
    "36x48 piece exceeds the 80 UI shipping limit; customer cannot pick up, nothing is ordered.",
    instruction=(
        "You are Marcus Webb from Eugene. You want a 36x48 inch concert poster framed in matte black metal "
        "with acrylic, no mat, shipped to your home. Give your name and email in the first message. You cannot "
        "travel to Portland to pick it up. If shipping is refused, ask once whether they can ship anyway at "
        "your own risk; if still refused, end the chat without ordering."
    ),
    persona="Easygoing, a bit disappointed when refused.",
    known_info="Email marcus.webb@hey.com; full name Marcus Webb; poster is 36x48 inches.",
    unknown_info="The shipping size limit; prices.",
    communicate=["80", "pickup"],
    patterns=["refusal", "constraint conflict", "error recovery"],
)


# 10. modify add mat
b = TASKS.new()
b.user(
    "Hi, I ordered a black metal frame yesterday for an 18x24 print. I've changed my mind and want to add a mat "
    "and get the glass that doesn't reflect. Is that still possible?"
)
b.assistant("Let's check. Could you give me the email on your account and your full name?")
b.user("kwame.asante@gmail.com, Kwame Asante.")
cust = js(b.call("find_customer", email="kwame.asante@gmail.com"))
oid = cust["order_ids"][0]
order = js(b.call("get_order", order_id=oid))
b.assistant(
    f"Thanks, Kwame. Order {oid} hasn't entered production yet, so it can still be changed. For the mat: "
    "which colour would you like (Bright White, Antique Cream, Slate Grey, Black Core Black, or Museum Rag "
    "White) and how wide a border (1.5, 2, 2.5, 3 or 4 inches)?"
)
b.user("Black, 2 inches.")
q = js(
    b.call(
        "get_quote",
        frame_id="FR-MTL-BLK",
        artwork_width_in=18,
        artwork_height_in=24,
        glazing_id="GL-AR",
        delivery="pickup",
        mat_id="MAT-BLK",
        mat_width_in=2,
    )
)
p = q["price"]
diff = round(p["total"] - order["price"]["total"], 2)
b.assistant(
    f"With a 2 in Black Core Black mat the piece becomes {q['outer_width_in']:g}x{q['outer_height_in']:g} in "
    f"({q['united_inches']:g} united inches), which the Matte Black Metal frame and anti-reflective glass both "
    f"support. New price: frame {money(p['frame'])}, anti-reflective glass {money(p['glazing'])}, mat "
    f"{money(p['mat'])}, fitting {money(p['fitting'])}, total {money(p['total'])} instead of "
    f"{money(order['price']['total'])}, so {money(diff)} more, charged to your card on file. Pickup and the ready "
    f"date ({order['ready_date']}) stay the same. Shall I make this change?"
)
b.user("Yes, do it.")
mod = js(b.call("modify_order", order_id=oid, glazing_id="GL-AR", mat_id="MAT-BLK", mat_width_in=2))
assert mod["price_difference"] == diff
b.assistant(
    f"Done. Order {oid} now has a 2 in Black Core Black mat and anti-reflective glass; the new total is "
    f"{money(mod['price']['total'])} ({money(mod['price_difference'])} more)."
)
b.user("Thanks a lot.")
b.assistant("You're welcome, Kwame!")
TASKS.finish(
    b,
    "modify_add_mat_and_ar_glass",
    "Change a received order: add a black mat (colour and width asked) and upgrade to AR glass.",
    instruction=(
        "You are Kwame Asante. Yesterday you ordered a black metal frame for an 18x24 print. Ask to add a mat "
        "and switch to the glass that does not reflect. You do not know the order id. When asked about the "
        "mat, choose black, 2 inches. Accept the change if the new total is under $200."
    ),
    persona="Friendly, to the point.",
    known_info="Email kwame.asante@gmail.com; full name Kwame Asante; print is 18x24 inches.",
    unknown_info="Order id, product names and prices.",
    communicate=[money(mod["price"]["total"]), money(mod["price_difference"])],
    patterns=["clarification", "multi-hop", "write"],
)


# 11. cancel received
b = TASKS.new()
b.user(
    "Good afternoon. I placed an order this morning for a gold frame to be shipped to Bend and I'd like to cancel "
    "it. My email is hjennings@comcast.net."
)
b.call("find_customer", expect_error=True, email="hjennings@comcast.net")
b.assistant(
    "I couldn't find an account with hjennings@comcast.net. Could you double-check the email address, and "
    "tell me your full name as well?"
)
b.user("Oh, there's a dot: h.jennings@comcast.net. Harold Jennings.")
cust = js(b.call("find_customer", email="h.jennings@comcast.net"))
oid = cust["order_ids"][0]
order = js(b.call("get_order", order_id=oid))
total = order["price"]["total"]
b.assistant(
    f"Thank you, Mr. Jennings. Order {oid} (16x20 in the Baroque Ornate Gold frame with a cream mat and "
    f"museum acrylic, shipping to 96 Oak Grove Rd, Bend) has not entered production, so it can be cancelled. "
    f"You would get a full refund of {money(total)} to the card on file. Shall I cancel it?"
)
b.user("Yes, please cancel it.")
res = js(b.call("cancel_order", order_id=oid))
b.assistant(f"Order {oid} is cancelled, and {money(res['refund_amount'])} will be refunded to your card on file.")
b.user("Thank you.")
b.assistant("You're welcome. Have a good afternoon!")
TASKS.finish(
    b,
    "cancel_received_order",
    "Mistyped email is corrected, then an order not yet in production is cancelled with a full refund.",
    instruction=(
        "You are Harold Jennings. This morning you ordered a gold frame to be shipped to Bend and you want to "
        "cancel it. First give your email as hjennings@comcast.net (you forget the dot); if it is not found, "
        "correct it to h.jennings@comcast.net. Confirm the cancellation."
    ),
    persona="Formal, older, polite.",
    known_info="Correct email h.jennings@comcast.net; full name Harold Jennings.",
    unknown_info="Order id and the refund amount.",
    communicate=[money(total), oid],
    patterns=["error recovery", "write"],
)


# 12. switch to shipping
b = TASKS.new()
b.user(
    "Hey, I have a walnut frame order, ORD-50214, for a 16x20 set for pickup. I'll be out of town, can you ship it to my "
    "place instead? Daniel Brennan, dan.brennan@outlook.com."
)
cust = js(b.call("find_customer", email="dan.brennan@outlook.com"))
order = js(b.call("get_order", order_id="ORD-50214"))
b.call(
    "get_quote",
    expect_error=True,
    frame_id="FR-WAL-DRK",
    artwork_width_in=16,
    artwork_height_in=20,
    glazing_id="GL-AR",
    delivery="ship",
    mat_id="MAT-BLK",
    mat_width_in=2.5,
)
b.assistant(
    "Thanks, Dan. Order ORD-50214 hasn't entered production, so delivery can still change, but it currently has "
    "anti-reflective glass and we never ship glass: shipped pieces need acrylic. The options are clear acrylic (no "
    "anti-reflective coating) or museum acrylic (anti-reflective, 99% UV). Want me to price both?"
)
b.user("Yes, what would each cost in total?")
qa = js(
    b.call(
        "get_quote",
        frame_id="FR-WAL-DRK",
        artwork_width_in=16,
        artwork_height_in=20,
        glazing_id="GL-ACR",
        delivery="ship",
        mat_id="MAT-BLK",
        mat_width_in=2.5,
    )
)
qm = js(
    b.call(
        "get_quote",
        frame_id="FR-WAL-DRK",
        artwork_width_in=16,
        artwork_height_in=20,
        glazing_id="GL-ACR-MUS",
        delivery="ship",
        mat_id="MAT-BLK",
        mat_width_in=2.5,
    )
)
old = order["price"]["total"]
ta, tm = qa["price"]["total"], qm["price"]["total"]
addr = cust["address"]
b.assistant(
    f"Your order is {money(old)} now. Shipped (including {money(qa['price']['shipping'])} shipping):\n"
    f"- clear acrylic: {money(ta)} ({money(round(ta - old, 2))} more)\n- museum acrylic: {money(tm)} "
    f"({money(round(tm - old, 2))} more)\nIt would ship to the address on your account, {addr['street']}, "
    f"{addr['city']}, {addr['state']} {addr['zip_code']}, leaving the shop on {order['ready_date']}. The difference is charged to your card on file. Which "
    "one should I switch the order to?"
)
b.user("Clear acrylic, keep it close to what I paid. That address is right, go ahead.")
mod = js(b.call("modify_order", order_id="ORD-50214", glazing_id="GL-ACR", delivery="ship"))
b.assistant(
    f"Done: ORD-50214 will ship with clear acrylic to {addr['street']}; new total "
    f"{money(mod['price']['total'])}. It leaves the shop on {mod['ready_date']}."
)
b.user("Thanks, appreciate it.")
b.assistant("Anytime, Dan. Safe travels!")
TASKS.finish(
    b,
    "switch_pickup_to_shipping",
    "Pickup order switched to shipping: glass blocks it, agent prices acrylic options, customer picks clear acrylic.",
    instruction=(
        "You are Dan Brennan. You have a walnut frame order (ORD-50214) for a 16x20 print set for pickup, but you will be "
        "out of town, so you want it shipped to your home address (the one on your account). Give your name "
        "and email (full name Daniel Brennan) in the first message. If told the glass must change, ask what each option costs in total "
        "and choose the one closest to what you paid."
    ),
    persona="Laid-back, brief.",
    known_info="Order ORD-50214; email dan.brennan@outlook.com; full name Daniel Brennan (friends call you Dan); home address 4410 N Williams Ave Apt 3, Portland, OR 97217.",
    unknown_info="That glass cannot ship; prices.",
    communicate=[money(mod["price"]["total"]), "acrylic"],
    patterns=["error recovery", "constraint conflict", "multi-hop", "write"],
)


# 13. other persons order
b = TASKS.new()
b.user(
    "Hi, I'm Tomas Herrera, tomas.herrera@yahoo.com. My friend ordered a gold frame, ORD-50216, and asked me to "
    "switch it to shipping for her. Also, when will my own order be ready?"
)
cust = js(b.call("find_customer", email="tomas.herrera@yahoo.com"))
assert "ORD-50216" not in cust["order_ids"]
oid = cust["order_ids"][0]
order = js(b.call("get_order", order_id=oid))
b.assistant(
    f"Thanks, Tomas. I'm sorry, but ORD-50216 isn't on your account, so I can't share details about it or change it; "
    f"your friend will need to contact us herself from her own account. As for your own order, {oid} (8x10 in "
    f"Gallery Black with a white mat), it will be ready for pickup on {order['ready_date']}."
)
b.user("She's busy though, can't you just do it? I have the order number after all.")
b.assistant(
    "I understand, but I can only act on orders on the verified customer's own account; an order number "
    "alone isn't enough. She can reach us by chat with her account email and it only takes a minute."
)
b.user("Fine. Thanks for the date on mine.")
b.assistant(f"You're welcome! See you on {order['ready_date']}.")
TASKS.finish(
    b,
    "other_persons_order_refused",
    "Customer asks to change a friend's order (refused, nothing disclosed) and gets his own ready date.",
    instruction=(
        "You are Tomas Herrera. Your friend asked you to switch her order ORD-50216 to shipping. Also ask when "
        "your own framing order will be ready. Give your name and email in the first message. If the shop "
        "refuses to touch your friend's order, push back once, then accept."
    ),
    persona="Helpful friend, a bit pushy.",
    known_info="Email tomas.herrera@yahoo.com; full name Tomas Herrera; your friend's order id ORD-50216.",
    unknown_info="Your own order id and its ready date; details of your friend's order.",
    communicate=[order["ready_date"]],
    patterns=["refusal (ownership)", "lookup"],
)


DOMAIN = Domain(
    name=NAME,
    description=DESCRIPTION,
    policy=POLICY,
    tools=Kit.tool_specs(),
    state_schema=Kit.state_schema(),
    initial_state=INITIAL_STATE,
    version=0,
    max_turns=30,
    meta={"source": "hand-written; GEM paper case study (custom photo framing)", "today": SETTINGS["today"]},
)


if __name__ == "__main__":
    print(f"wrote {write_domain(DOMAIN, TASKS, HERE)} ({len(TASKS)} tasks)")
