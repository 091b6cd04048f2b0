"""Authoring script of the pharmacy-refill domain: initial state, policy and tasks.

Run ``python tools_registry/bundled/pharmacy-refill/build.py`` to regenerate domain.json and
tasks.jsonl next to this file. Every reference conversation is written with ReferenceBuilder, so
tool outputs, gold write actions and the expected final state come from the real tools.
"""

from __future__ import annotations

from pathlib import Path

from tools_registry.authoring import TaskList, write_domain
from tools_registry.domains import load_toolkit
from tools_registry.records import Domain

HERE = Path(__file__).resolve().parent
NAME = "pharmacy-refill"
Kit = load_toolkit(HERE / "tools.py", NAME)


# ------------------------------------------------------------------------------------------------
# Initial state
# ------------------------------------------------------------------------------------------------


def addr(street: str, city: str, zip_code: str, state: str = "OH") -> dict:
    return {"street": street, "city": city, "state": state, "zip_code": zip_code}


HOURS = "Mon-Fri 9:00 AM-9:00 PM; Sat-Sun 10:00 AM-6:00 PM"

STORES = [
    (
        "ST-1042",
        "Northfield Pharmacy #1042 - Short North",
        addr("1875 N High St", "Columbus", "43201"),
        "(614) 555-0142",
        ["43201", "43202", "43210", "43211", "43214", "43215"],
    ),
    (
        "ST-1108",
        "Northfield Pharmacy #1108 - Morse Road",
        addr("3940 Morse Rd", "Columbus", "43219"),
        "(614) 555-0217",
        ["43219", "43224", "43229", "43230"],
    ),
    (
        "ST-1175",
        "Northfield Pharmacy #1175 - Dublin",
        addr("6470 Sawmill Rd", "Dublin", "43017"),
        "(614) 555-0390",
        ["43016", "43017", "43235"],
    ),
    (
        "ST-1231",
        "Northfield Pharmacy #1231 - Westerville",
        addr("580 S State St", "Westerville", "43081"),
        "(614) 555-0458",
        ["43081", "43082"],
    ),
    (
        "ST-1306",
        "Northfield Pharmacy #1306 - Over-the-Rhine",
        addr("1210 Vine St", "Cincinnati", "45202"),
        "(513) 555-0124",
        ["45202", "45203", "45214"],
    ),
    (
        "ST-1319",
        "Northfield Pharmacy #1319 - Clifton",
        addr("2800 Clifton Ave", "Cincinnati", "45220"),
        "(513) 555-0176",
        ["45219", "45220", "45221"],
    ),
    (
        "ST-1422",
        "Northfield Pharmacy #1422 - University Circle",
        addr("10215 Euclid Ave", "Cleveland", "44106"),
        "(216) 555-0133",
        ["44106", "44120"],
    ),
]

PRESCRIBERS = [
    ("1649372851", "Anita Raman, MD", "Short North Family Medicine", "(614) 555-0301"),
    ("1285716904", "Michael Osei, MD", "Riverside Behavioral Health", "(614) 555-0322"),
    ("1932045187", "Laura Bishop, DO", "Clintonville Primary Care", "(614) 555-0345"),
    ("1508839276", "Steven Kim, MD", "Columbus Orthopedic & Spine", "(614) 555-0367"),
    ("1093857420", "Daniel Novak, MD", "Central Ohio Cardiology", "(614) 555-0312"),
    ("1467203958", "Karen Whitlock, MD", "Lakeview Endocrinology", "(614) 555-0334"),
    ("1770462398", "Rachel Adeyemi, NP", "University Urgent Care", "(614) 555-0389"),
]

# ndc, name, generic, schedule, tier, cash price (30 days)
DRUGS = [
    ("60505-2580-09", "Atorvastatin 20 mg tablet", "atorvastatin", None, 1, 18.40),
    ("68180-0514-01", "Lisinopril 10 mg tablet", "lisinopril", None, 1, 9.80),
    ("00093-7212-01", "Amlodipine 5 mg tablet", "amlodipine", None, 1, 7.60),
    ("00093-7267-01", "Metformin ER 500 mg tablet", "metformin", None, 1, 12.60),
    ("00378-1805-10", "Levothyroxine 75 mcg tablet", "levothyroxine", None, 1, 14.20),
    ("16729-0213-01", "Sertraline 50 mg tablet", "sertraline", None, 1, 11.50),
    ("00056-0172-70", "Warfarin 5 mg tablet", "warfarin", None, 1, 8.90),
    ("00172-5411-60", "Fluconazole 150 mg tablet", "fluconazole", None, 1, 6.40),
    ("00378-2146-01", "Spironolactone 25 mg tablet", "spironolactone", None, 1, 10.10),
    ("00003-0894-21", "Eliquis 5 mg tablet", "apixaban", None, 3, 612.35),
    ("00169-4132-12", "Ozempic 0.5 mg/dose pen", "semaglutide", None, 3, 997.58),
    ("00597-0152-30", "Jardiance 10 mg tablet", "empagliflozin", None, 3, 623.90),
    ("00555-0767-02", "Amphetamine/dextroamphetamine 20 mg tablet", "amphetamine", "II", 2, 72.15),
    ("00406-0512-01", "Oxycodone/acetaminophen 5-325 mg tablet", "oxycodone", "II", 2, 28.00),
    ("00591-3532-01", "Testosterone cypionate 200 mg/mL vial", "testosterone", "III", 2, 64.00),
    ("00904-6498-61", "Zolpidem 10 mg tablet", "zolpidem", "IV", 1, 16.75),
    ("00603-2127-21", "Alprazolam 0.5 mg tablet", "alprazolam", "IV", 1, 12.30),
    ("65162-0627-10", "Tramadol 50 mg tablet", "tramadol", "IV", 1, 14.90),
    ("00071-1015-68", "Pregabalin 75 mg capsule", "pregabalin", "V", 2, 38.20),
]
NDC = {name.split()[0].lower().split("/")[0]: ndc for ndc, name, *_ in DRUGS}

PLANS = [
    ("PLN-SHP", "Summit Health PPO", {"1": 10.00, "2": 35.00, "3": 60.00}, [NDC["ozempic"]], []),
    (
        "PLN-CBD",
        "CareBridge Medicare Rx (Part D)",
        {"1": 4.00, "2": 15.00, "3": 47.00},
        [NDC["ozempic"]],
        [NDC["zolpidem"]],
    ),
    ("PLN-MCH", "Meridian Choice HMO", {"1": 5.00, "2": 25.00, "3": 70.00}, [NDC["ozempic"], NDC["jardiance"]], []),
    (
        "PLN-OMC",
        "Ohio Medicaid - Buckeye Care",
        {"1": 1.00, "2": 2.00, "3": 3.00},
        [NDC["ozempic"], NDC["eliquis"], NDC["jardiance"]],
        [],
    ),
]

INTERACTIONS = [
    (["sertraline", "tramadol"], "major", "Increased risk of serotonin syndrome and seizures."),
    (["fluconazole", "warfarin"], "major", "Fluconazole raises warfarin levels; increased bleeding risk."),
    (["alprazolam", "oxycodone"], "major", "Additive sedation and slowed breathing (respiratory depression)."),
    (["lisinopril", "spironolactone"], "moderate", "Increased risk of high potassium (hyperkalemia)."),
    (["apixaban", "sertraline"], "moderate", "Increased bleeding risk."),
    (["alprazolam", "zolpidem"], "moderate", "Additive sedation and impaired alertness."),
    (["pregabalin", "tramadol"], "moderate", "Additive drowsiness and dizziness."),
]

# patient_id, first, last, dob, phone, address, allergies, (plan_id, member_id, coverage_end) or None
PATIENTS = [
    (
        "PT-20817",
        "Maria",
        "Gonzalez",
        "1968-04-22",
        "(614) 555-0187",
        addr("412 E Oakland Ave", "Columbus", "43202"),
        ["penicillin"],
        ("PLN-SHP", "SHP448120937", None),
    ),
    (
        "PT-20944",
        "Maria",
        "Gonzalez",
        "1990-01-17",
        "(614) 555-0648",
        addr("1781 N 4th St Apt 3", "Columbus", "43201"),
        [],
        None,
    ),
    (
        "PT-31594",
        "James",
        "Whitfield",
        "1979-11-02",
        "(614) 555-0219",
        addr("88 W 3rd Ave Apt 2B", "Columbus", "43201"),
        [],
        ("PLN-MCH", "MCH7715032", None),
    ),
    (
        "PT-35520",
        "Samuel",
        "Okafor",
        "1981-12-22",
        "(614) 555-0604",
        addr("1190 Summit St Apt 1", "Columbus", "43201"),
        ["sulfa drugs"],
        ("PLN-MCH", "MCH6092271", None),
    ),
    (
        "PT-40266",
        "Dana",
        "Kowalski",
        "1991-06-15",
        "(614) 555-0264",
        addr("1530 Summit St Apt 4", "Columbus", "43201"),
        [],
        ("PLN-SHP", "SHP902217745", None),
    ),
    (
        "PT-52310",
        "Robert",
        "Chen",
        "1955-01-30",
        "(614) 555-0291",
        addr("118 E Tompkins St", "Columbus", "43202"),
        ["codeine"],
        ("PLN-CBD", "CBD30418827", None),
    ),
    (
        "PT-58842",
        "Linda",
        "Park",
        "1962-08-09",
        "(614) 555-0335",
        addr("2281 Indianola Ave", "Columbus", "43201"),
        [],
        ("PLN-SHP", "SHP317740562", None),
    ),
    (
        "PT-61705",
        "Marcus",
        "Reed",
        "1984-03-27",
        "(614) 555-0378",
        addr("64 E Northwood Ave", "Columbus", "43201"),
        [],
        ("PLN-MCH", "MCH4406281", None),
    ),
    (
        "PT-67813",
        "Rosa",
        "Delgado",
        "1975-05-03",
        "(614) 555-0615",
        addr("2935 N High St Apt 12", "Columbus", "43202"),
        ["aspirin"],
        ("PLN-MCH", "MCH3358104", None),
    ),
    (
        "PT-70139",
        "Evelyn",
        "Brooks",
        "1949-12-05",
        "(614) 555-0163",
        addr("3015 Indianola Ave", "Columbus", "43202"),
        [],
        ("PLN-CBD", "CBD71162093", None),
    ),
    (
        "PT-73480",
        "Priya",
        "Natarajan",
        "1987-07-19",
        "(614) 555-0412",
        addr("1995 N 4th St", "Columbus", "43201"),
        [],
        ("PLN-SHP", "SHP660193824", None),
    ),
    (
        "PT-80925",
        "Thomas",
        "Alvarez",
        "1972-05-11",
        "(614) 555-0456",
        addr("77 W Hubbard Ave", "Columbus", "43215"),
        [],
        ("PLN-OMC", "104882613590", None),
    ),
    (
        "PT-84471",
        "Gloria",
        "Simmons",
        "1957-09-30",
        "(614) 555-0493",
        addr("95 W Lane Ave Apt 5C", "Columbus", "43210"),
        ["sulfa drugs"],
        ("PLN-CBD", "CBD22841570", None),
    ),
    (
        "PT-90312",
        "Harold",
        "Jensen",
        "1946-02-14",
        "(614) 555-0527",
        addr("1420 Neil Ave", "Columbus", "43201"),
        [],
        ("PLN-CBD", "CBD50937716", None),
    ),
    (
        "PT-93058",
        "Kevin",
        "O'Brien",
        "1990-10-08",
        "(614) 555-0561",
        addr("460 E 5th Ave", "Columbus", "43201"),
        [],
        ("PLN-SHP", "SHP583301196", "2025-02-28"),
    ),
]

NPI = {
    "raman": "1649372851",
    "osei": "1285716904",
    "bishop": "1932045187",
    "kim": "1508839276",
    "novak": "1093857420",
    "whitlock": "1467203958",
    "adeyemi": "1770462398",
}

ONCE_DAILY = "Take 1 tablet by mouth once daily."
TWICE_DAILY = "Take 1 tablet by mouth twice daily."

# rx, patient, drug key, sig, qty, days, refills left, written, last fill, prescriber, extra fields
PRESCRIPTIONS = [
    ("RX-6120034", "PT-20817", "lisinopril", ONCE_DAILY, 30, 30, 4, "2024-09-10", "2025-02-12", "raman", {}),
    (
        "RX-6120035",
        "PT-20817",
        "atorvastatin",
        "Take 1 tablet by mouth once daily in the evening.",
        90,
        90,
        2,
        "2024-09-10",
        "2025-01-05",
        "raman",
        {},
    ),
    ("RX-6120036", "PT-20817", "amlodipine", ONCE_DAILY, 30, 30, 5, "2024-12-03", "2025-03-01", "raman", {}),
    ("RX-6139950", "PT-20944", "spironolactone", ONCE_DAILY, 30, 30, 2, "2024-10-28", "2025-02-26", "adeyemi", {}),
    (
        "RX-6133871",
        "PT-31594",
        "zolpidem",
        "Take 1 tablet by mouth at bedtime as needed for sleep.",
        30,
        30,
        3,
        "2024-12-02",
        "2025-02-28",
        "bishop",
        {},
    ),
    (
        "RX-6126618",
        "PT-35520",
        "testosterone",
        "Inject 1 mL into the muscle every 14 days.",
        2,
        28,
        0,
        "2024-09-20",
        "2025-02-14",
        "bishop",
        {},
    ),
    ("RX-6140552", "PT-40266", "amphetamine", TWICE_DAILY, 60, 30, 0, "2025-02-10", "2025-02-11", "osei", {}),
    (
        "RX-6098817",
        "PT-52310",
        "levothyroxine",
        "Take 1 tablet by mouth every morning on an empty stomach.",
        90,
        90,
        1,
        "2024-02-20",
        "2024-12-10",
        "whitlock",
        {},
    ),
    ("RX-6121190", "PT-52310", "eliquis", TWICE_DAILY, 60, 30, 5, "2024-10-01", "2025-02-20", "novak", {}),
    ("RX-6121191", "PT-52310", "amlodipine", ONCE_DAILY, 30, 30, 3, "2024-10-01", "2025-02-17", "novak", {}),
    (
        "RX-6135510",
        "PT-58842",
        "metformin",
        "Take 1 tablet by mouth twice daily with meals.",
        60,
        30,
        5,
        "2024-11-18",
        "2025-02-10",
        "raman",
        {},
    ),
    ("RX-6135511", "PT-58842", "lisinopril", ONCE_DAILY, 30, 30, 5, "2024-11-18", "2025-03-02", "raman", {}),
    (
        "RX-6129004",
        "PT-61705",
        "tramadol",
        "Take 1 tablet by mouth every 6 hours as needed for pain.",
        60,
        30,
        2,
        "2025-01-08",
        "2025-02-27",
        "kim",
        {},
    ),
    ("RX-6142276", "PT-61705", "sertraline", ONCE_DAILY, 30, 30, 5, "2025-03-12", None, "raman", {}),
    (
        "RX-6131102",
        "PT-67813",
        "jardiance",
        "Take 1 tablet by mouth once daily in the morning.",
        30,
        30,
        4,
        "2024-11-05",
        "2025-02-11",
        "whitlock",
        {"prior_auth_status": "approved"},
    ),
    ("RX-6131103", "PT-67813", "metformin", TWICE_DAILY, 60, 30, 0, "2024-03-04", "2025-02-11", "whitlock", {}),
    (
        "RX-6087743",
        "PT-70139",
        "warfarin",
        "Take 1 tablet by mouth once daily or as directed by the anticoagulation clinic.",
        30,
        30,
        4,
        "2024-07-15",
        "2025-02-25",
        "novak",
        {},
    ),
    ("RX-6087744", "PT-70139", "atorvastatin", ONCE_DAILY, 30, 30, 3, "2024-07-15", "2025-02-25", "novak", {}),
    (
        "RX-6131877",
        "PT-73480",
        "ozempic",
        "Inject 0.5 mg under the skin once weekly.",
        1,
        28,
        5,
        "2024-12-16",
        "2025-01-20",
        "whitlock",
        {"prior_auth_status": "pending"},
    ),
    ("RX-6131878", "PT-73480", "metformin", TWICE_DAILY, 60, 30, 3, "2024-12-16", "2025-02-15", "whitlock", {}),
    ("RX-6110423", "PT-80925", "sertraline", ONCE_DAILY, 30, 30, 4, "2024-10-22", "2025-02-24", "osei", {}),
    ("RX-6110424", "PT-80925", "lisinopril", ONCE_DAILY, 30, 30, 3, "2024-08-05", "2025-02-24", "raman", {}),
    (
        "RX-6125561",
        "PT-80925",
        "alprazolam",
        "Take 1 tablet by mouth twice daily as needed for anxiety.",
        60,
        30,
        2,
        "2025-01-14",
        "2025-02-20",
        "osei",
        {"transferred_in": True},
    ),
    ("RX-6102289", "PT-84471", "atorvastatin", ONCE_DAILY, 30, 30, 6, "2024-06-18", "2025-02-14", "bishop", {}),
    (
        "RX-6119045",
        "PT-90312",
        "pregabalin",
        "Take 1 capsule by mouth twice daily.",
        60,
        30,
        3,
        "2025-01-06",
        "2025-03-13",
        "kim",
        {},
    ),
    ("RX-6137720", "PT-93058", "atorvastatin", ONCE_DAILY, 30, 30, 4, "2024-11-04", "2025-02-13", "bishop", {}),
]


def order(oid, pid, rx, fulfillment, amount, status, created, *, ready=None, delivery=None, address=None):
    return {
        "order_id": oid,
        "patient_id": pid,
        "rx_number": rx,
        "fulfillment": fulfillment,
        "payment_method": "insurance",
        "amount_due": amount,
        "status": status,
        "pharmacist_consult": False,
        "created_date": created,
        "ready_date": ready,
        "delivery_date": delivery,
        "delivery_address": address,
    }


ORDERS = [
    order("ORD-58201", "PT-20817", "RX-6120036", "pickup", 10.00, "picked_up", "2025-03-01", ready="2025-03-01"),
    order("ORD-58202", "PT-31594", "RX-6133871", "pickup", 5.00, "picked_up", "2025-02-28", ready="2025-02-28"),
    order(
        "ORD-58203",
        "PT-70139",
        "RX-6087743",
        "delivery",
        4.00,
        "delivered",
        "2025-02-25",
        delivery="2025-02-26",
        address=addr("3015 Indianola Ave", "Columbus", "43202"),
    ),
    order("ORD-58204", "PT-80925", "RX-6110423", "pickup", 1.00, "picked_up", "2025-02-24", ready="2025-02-24"),
    order("ORD-58205", "PT-80925", "RX-6110424", "pickup", 1.00, "picked_up", "2025-02-24", ready="2025-02-24"),
    order(
        "ORD-58206",
        "PT-52310",
        "RX-6121190",
        "delivery",
        47.00,
        "delivered",
        "2025-02-20",
        delivery="2025-02-21",
        address=addr("118 E Tompkins St", "Columbus", "43202"),
    ),
    order("ORD-58207", "PT-90312", "RX-6119045", "pickup", 15.00, "ready_for_pickup", "2025-03-13", ready="2025-03-13"),
    order("ORD-58208", "PT-67813", "RX-6131102", "pickup", 70.00, "ready_for_pickup", "2025-03-12", ready="2025-03-12"),
]


def initial_state() -> dict:
    state = {
        "today": "2025-03-14",
        "home_store_id": "ST-1042",
        "stores": {
            sid: {
                "store_id": sid,
                "name": name,
                "address": a,
                "phone": phone,
                "pharmacy_hours": HOURS,
                "delivery_zip_codes": zips,
            }
            for sid, name, a, phone, zips in STORES
        },
        "patients": {},
        "prescribers": {npi: {"npi": npi, "name": n, "practice": pr, "phone": ph} for npi, n, pr, ph in PRESCRIBERS},
        "drugs": {
            ndc: {"ndc": ndc, "name": n, "generic_name": g, "schedule": sch, "tier": t, "cash_price": c}
            for ndc, n, g, sch, t, c in DRUGS
        },
        "plans": {
            pid: {"plan_id": pid, "name": n, "copays": cp, "prior_auth_ndcs": pa, "excluded_ndcs": ex}
            for pid, n, cp, pa, ex in PLANS
        },
        "interactions": [{"drugs": d, "severity": s, "description": desc} for d, s, desc in INTERACTIONS],
        "prescriptions": {},
        "orders": {o["order_id"]: o for o in ORDERS},
        "renewal_requests": {
            "RNW-4401": {
                "request_id": "RNW-4401",
                "patient_id": "PT-67813",
                "rx_number": "RX-6131103",
                "prescriber_npi": NPI["whitlock"],
                "sent_date": "2025-03-10",
                "status": "sent",
            },
            "RNW-4402": {
                "request_id": "RNW-4402",
                "patient_id": "PT-35520",
                "rx_number": "RX-6126618",
                "prescriber_npi": NPI["bishop"],
                "sent_date": "2025-03-11",
                "status": "sent",
            },
        },
        "consultations": {
            "CNS-7101": {
                "consult_id": "CNS-7101",
                "patient_id": "PT-20817",
                "rx_number": "RX-6120036",
                "reason": "side_effects",
                "callback_phone": "(614) 555-0187",
                "created_date": "2025-03-03",
                "status": "completed",
            },
        },
    }
    for pid, first, last, dob, phone, a, allergies, ins in PATIENTS:
        state["patients"][pid] = {
            "patient_id": pid,
            "first_name": first,
            "last_name": last,
            "date_of_birth": dob,
            "phone": phone,
            "address": a,
            "allergies": allergies,
            "insurance": None if ins is None else {"plan_id": ins[0], "member_id": ins[1], "coverage_end": ins[2]},
        }
    for rx, pid, drug, sig, qty, days, refills, written, last, doc, extra in PRESCRIPTIONS:
        state["prescriptions"][rx] = {
            "rx_number": rx,
            "patient_id": pid,
            "ndc": NDC[drug],
            "sig": sig,
            "quantity": qty,
            "days_supply": days,
            "refills_remaining": refills,
            "written_date": written,
            "last_fill_date": last,
            "prescriber_npi": NPI[doc],
            "status": "active",
            "transferred_in": False,
            "transferred_to": None,
            "prior_auth_status": "not_required",
            **extra,
        }
    # Validate through the model and store its canonical JSON form.
    return Kit.State.model_validate(state).model_dump(mode="json")


INITIAL_STATE = initial_state()


# ------------------------------------------------------------------------------------------------
# Policy
# ------------------------------------------------------------------------------------------------

POLICY = """\
You are the refill desk assistant of Northfield Pharmacy #1042 - Short North (1875 N High St, Columbus, OH 43201; \
pharmacy phone (614) 555-0142). You help patients by chat with prescription refills, costs, pickup and home \
delivery, transfers to other Northfield stores, renewal requests to prescribers and callbacks from a pharmacist. \
Today is Friday, 2025-03-14. Be brief and factual; use only information from the tools.

## Identity
- Before discussing or acting on any prescription or order, verify the patient with find_patient using first name, \
last name and date of birth. If there is no match, ask the patient to re-check the details; never guess, and never \
say whether someone else is a patient here.
- Help only the verified patient with their own prescriptions and orders. Do not discuss anyone else's \
prescriptions, including a family member's; that person must contact the pharmacy themselves.

## Before any change
- Before filling a prescription, look it up with get_prescription (status, expiration, refills, earliest refill \
date) and price it with check_coverage, and tell the patient what they will pay.
- Before every write (fill, switching an order between pickup and delivery, address change, transfer, renewal \
request, pharmacist callback) state exactly what you will do - prescription number and drug, pickup or delivery, \
payment method and amount, address or store - and wait for the patient's explicit yes.
- Do only what the patient asked for; do not place extra orders.

## Refill rules
- Refill too soon: a refill is allowed from the earliest_refill_date (the last fill date plus 75% of the days' \
supply). You cannot override it: no vacation, travel or lost-medication overrides at this desk. Tell the patient \
the earliest refill date.
- Expiration: prescriptions for controlled substances (schedules II-V) expire six months after the date written; \
all others one year after. An expired prescription cannot be filled or transferred, even with refills left.
- A prescription with no refills remaining cannot be refilled.
- Schedule II (for example amphetamine salts, oxycodone): no refills ever; each fill needs a new prescription from \
the prescriber, and schedule II prescriptions cannot be transferred.
- Schedules III-V: refills are allowed until expiration, but a prescription may be transferred between pharmacies \
only once. If get_prescription shows transferred_in = true, it cannot be transferred again; the patient must ask \
the prescriber for a new prescription at the new pharmacy.
- For an expired, used-up or schedule II prescription, offer to send a renewal request to the prescriber \
(request_prescriber_renewal). Prescribers usually answer within 2 business days; tell the patient the prescriber's \
name.
- New medication (never filled: last_fill_date is empty): run check_interactions first, and place the fill with \
pharmacist_consult = true; the pharmacist reviews it and counsels the patient before it is dispensed.
- If check_interactions reports a major interaction, the order must be for in-store pickup, never delivery, so the \
pharmacist can counsel in person; tell the patient which of their medications is involved.

## Insurance and payment
- Bill insurance (the patient pays the copay) only when coverage is active, the drug is covered and any prior \
authorization the plan requires is approved. Otherwise explain why and offer the cash price; the patient decides.
- A pending prior authorization is between the plan and the prescriber's office; you cannot speed it up or \
override it.
- You cannot add or change insurance; a new insurance card must be shown at the pharmacy counter.
- Quote amounts exactly as the tools give them (US dollars).

## Pickup and delivery
- Pickup orders are ready at this store today. Home delivery arrives the next day, only to the address on file, and \
only inside this store's delivery area (the system checks the ZIP code).
- If the patient has moved, update the address on file (after confirming it) before arranging delivery. If the \
address is outside the delivery area, offer pickup here or a transfer to a Northfield store near the patient.
- Controlled substances (schedules II-V) are delivered only against an adult signature; say so when arranging one.
- Open orders can be switched between pickup and delivery with update_fill_order.

## Transfers
- Transfers go only to other Northfield stores (search_stores by city). If a city has more than one store, ask the \
patient which one. After a transfer, the receiving store fills the prescription; give the patient its address and \
phone number.

## Medical questions
- You are not a pharmacist and must not give medical advice: no answers about dosing or missed doses, side effects, \
combining medicines (prescription, over-the-counter, supplements or alcohol), or stopping or changing a medicine. \
Say that a pharmacist must answer and offer a pharmacist callback (request_pharmacist_consult; reason \
side_effects for symptoms, drug_interaction for combining medicines, dosing for how much or when), and tell the \
patient the callback number and time window. When a new medication is filled with pharmacist_consult = true, the \
pharmacist counsels the patient anyway and no separate callback is needed.
- If the patient describes a medical emergency, tell them to call 911.
"""


# ------------------------------------------------------------------------------------------------
# Tasks
# ------------------------------------------------------------------------------------------------

TASKS = TaskList(NAME, Kit, INITIAL_STATE)


b = TASKS.new()
b.user("Hi, I need to refill my blood pressure medicine please.")
b.assistant("I can help with that. First I need to verify your identity: what is your full name and date of birth?")
b.user("Maria Gonzalez, April 22, 1968.")
b.call("find_patient", first_name="Maria", last_name="Gonzalez", date_of_birth="1968-04-22")
b.assistant(
    "Thank you, Ms. Gonzalez. I see two blood pressure prescriptions on your profile: lisinopril 10 mg "
    "(RX-6120034) and amlodipine 5 mg (RX-6120036). Which one would you like to refill?"
)
b.user("The lisinopril. I still have plenty of the amlodipine.")
b.call("get_prescription", patient_id="PT-20817", rx_number="RX-6120034")
b.call("check_coverage", patient_id="PT-20817", rx_number="RX-6120034")
b.assistant(
    "Lisinopril 10 mg (RX-6120034) is due for a refill and has 4 refills left. With Summit Health PPO your "
    "copay is $10.00 for 30 tablets. Shall I place the refill for pickup today at our store at 1875 N High St, "
    "billed to your insurance?"
)
b.user("Yes, pickup is fine.")
b.call(
    "fill_prescription", patient_id="PT-20817", rx_number="RX-6120034", fulfillment="pickup", payment_method="insurance"
)
b.assistant(
    "Done. Your order ORD-58209 for lisinopril 10 mg will be ready for pickup today; your copay is $10.00 and "
    "3 refills will remain after this one."
)
TASKS.finish(
    b,
    "lisinopril_refill_clarify",
    "Vague refill request for a blood pressure medicine; agent asks which one, then fills lisinopril for pickup.",
    instruction="You want to refill your blood pressure medicine, the lisinopril, for pickup at the store. Start by "
    "saying only 'my blood pressure medicine'; if asked which one, say the lisinopril, because you still have "
    "plenty of amlodipine. Pay with your insurance. Accept the copay.",
    persona="Maria Gonzalez, 56, polite office manager who keeps her answers short.",
    known_info="Name Maria Gonzalez, date of birth April 22, 1968. You take lisinopril and amlodipine for blood "
    "pressure and atorvastatin for cholesterol.",
    unknown_info="Your prescription numbers, your copay, how many refills are left.",
    communicate=["ORD-58209", "10.00"],
    patterns=["clarification", "write"],
)

# 2. Early refill of a schedule IV sleep medicine for a trip: refused, no write.
b = TASKS.new()
b.user(
    "Hello, I'm leaving for Denver on Tuesday for two weeks and I need my zolpidem refilled before I go. "
    "James Whitfield, born November 2, 1979."
)
b.call("find_patient", first_name="James", last_name="Whitfield", date_of_birth="1979-11-02")
b.call("get_prescription", patient_id="PT-31594", rx_number="RX-6133871")
b.assistant(
    "Thank you, Mr. Whitfield. Your zolpidem 10 mg (RX-6133871) was last filled on February 28, 2025 for a "
    "30-day supply, so the earliest it can be refilled is March 23, 2025. I'm sorry, but I can't fill it "
    "before then: early refills for travel can't be made at this desk, and zolpidem is a controlled "
    "substance."
)
b.user("But I'll be gone until the 1st. Can't you make an exception just this once? It's a vacation.")
b.assistant(
    "I understand the timing is frustrating, but there are no vacation or travel overrides for the "
    "refill-too-soon rule. The refill will be available from March 23, 2025, and you still have 3 refills on "
    "this prescription. When you're back, I can place it for pickup or delivery."
)
b.user("Okay, I guess I'll manage. Thanks.")
b.assistant("You're welcome. Have a good trip, Mr. Whitfield.")
TASKS.finish(
    b,
    "zolpidem_refill_too_soon",
    "Early refill of zolpidem (schedule IV) before a trip; refused, agent gives the earliest refill date.",
    instruction="You are leaving for Denver next Tuesday for two weeks and want your zolpidem refilled before you "
    "go. Push once for an exception because it is a vacation. If the agent still refuses, accept and end the "
    "conversation; do not ask for anything else.",
    persona="James Whitfield, 45, sales manager, in a hurry and a bit insistent.",
    known_info="Name James Whitfield, date of birth November 2, 1979. You last picked up zolpidem at the end of "
    "February.",
    unknown_info="Your prescription number, the exact earliest refill date, the refill rules.",
    communicate=["March 23"],
    patterns=["refusal", "conflict"],
)

# 3. Schedule II refill: impossible; renewal request to the prescriber.
b = TASKS.new()
b.user("Hi, can I get a refill on my Adderall? It's the amphetamine salts, 20 mg.")
b.assistant("Sure, let me check. Please give me your full name and date of birth so I can verify your identity.")
b.user("Dana Kowalski, June 15, 1991.")
b.call("find_patient", first_name="Dana", last_name="Kowalski", date_of_birth="1991-06-15")
b.call("get_prescription", patient_id="PT-40266", rx_number="RX-6140552")
b.assistant(
    "Thanks, Dana. Your amphetamine/dextroamphetamine 20 mg (RX-6140552) is a schedule II controlled "
    "substance. Schedule II prescriptions can't be refilled: every fill needs a new prescription from your "
    "prescriber, Michael Osei, MD at Riverside Behavioral Health. I can send Dr. Osei a renewal request "
    "for you now. Would you like me to do that?"
)
b.user("Ugh, okay. Yes, please send it.")
b.call("request_prescriber_renewal", patient_id="PT-40266", rx_number="RX-6140552")
b.assistant(
    "Done: renewal request RNW-4403 was sent to Dr. Osei's office. Prescribers usually respond within 2 "
    "business days. Once the new prescription arrives we can fill it; you can also call the office at "
    "(614) 555-0322 to follow up."
)
b.user("Got it, thanks.")
b.assistant("You're welcome, Dana. Have a good day.")
TASKS.finish(
    b,
    "amphetamine_schedule_ii_renewal",
    "Refill of a schedule II stimulant: not refillable; agent explains and sends a renewal request to the prescriber.",
    instruction="You want a refill of your Adderall (amphetamine salts 20 mg). If the agent says it cannot be "
    "refilled, accept its offer to contact your doctor for a new prescription.",
    persona="Dana Kowalski, 33, graduate student, casual and slightly impatient.",
    known_info="Name Dana Kowalski, date of birth June 15, 1991. Your psychiatrist is Dr. Osei.",
    unknown_info="Your prescription number, that schedule II drugs cannot be refilled.",
    communicate=["Osei", "2 business days"],
    patterns=["conflict", "write"],
)

# 4. Two refills with delivery: one expired (renewal request), one filled for delivery.
b = TASKS.new()
b.user(
    "Good morning. I'd like my levothyroxine and my amlodipine refilled and delivered to my home, please. "
    "My name is Robert Chen, date of birth January 30, 1955."
)
b.call("find_patient", first_name="Robert", last_name="Chen", date_of_birth="1955-01-30")
b.call("get_prescription", patient_id="PT-52310", rx_number="RX-6098817")
b.call("get_prescription", patient_id="PT-52310", rx_number="RX-6121191")
b.call("check_coverage", patient_id="PT-52310", rx_number="RX-6121191")
b.assistant(
    "Thank you, Mr. Chen. Your levothyroxine 75 mcg (RX-6098817) expired on February 20, 2025, one year "
    "after it was written, so it can't be filled even though a refill was left. I can send a renewal "
    "request to your prescriber, Karen Whitlock, MD at Lakeview Endocrinology.\n\nYour amlodipine 5 mg "
    "(RX-6121191) is ready to refill: the copay with CareBridge Medicare Rx (Part D) is $4.00, delivered "
    "tomorrow, March 15, to 118 E Tompkins St, Columbus, OH 43202.\n\nShall I send the renewal request "
    "for the levothyroxine and place the amlodipine refill for delivery?"
)
b.user("Yes, please do both.")
b.call("request_prescriber_renewal", patient_id="PT-52310", rx_number="RX-6098817")
b.call(
    "fill_prescription",
    patient_id="PT-52310",
    rx_number="RX-6121191",
    fulfillment="delivery",
    payment_method="insurance",
)
b.assistant(
    "All set. Renewal request RNW-4403 went to Dr. Whitlock's office; prescribers usually respond within 2 "
    "business days. Your amlodipine refill is order ORD-58209, arriving tomorrow, March 15, with a $4.00 "
    "copay."
)
b.user("Thank you very much.")
b.assistant("You're welcome, Mr. Chen.")
TASKS.finish(
    b,
    "levothyroxine_expired_amlodipine_delivery",
    "Two refills for delivery: levothyroxine has expired (renewal request sent), amlodipine is filled for delivery.",
    instruction="You want your levothyroxine and amlodipine refilled and delivered to your home. If one of them "
    "cannot be filled, accept the agent's offer to contact your doctor, and go ahead with the other one.",
    persona="Robert Chen, 70, retired engineer, courteous and precise.",
    known_info="Name Robert Chen, date of birth January 30, 1955. You live at 118 E Tompkins St, Columbus. Your "
    "thyroid doctor is Dr. Whitlock.",
    unknown_info="That your levothyroxine prescription expired, your copays, prescription numbers.",
    communicate=["expired", "4.00"],
    patterns=["multi-hop", "conflict", "write"],
)

# 5. Cost and date lookup (two tools), no write.
b = TASKS.new()
b.user("Hi, I'm Robert Chen, born 1/30/1955. How much will my next Eliquis refill cost, and when can I get it?")
b.call("find_patient", first_name="Robert", last_name="Chen", date_of_birth="1955-01-30")
b.call("get_prescription", patient_id="PT-52310", rx_number="RX-6121190")
b.call("check_coverage", patient_id="PT-52310", rx_number="RX-6121190")
b.assistant(
    "Thank you, Mr. Chen. Your Eliquis 5 mg (RX-6121190) was last filled on February 20, 2025 for 30 days, "
    "so the next refill can be filled from March 15, 2025. With CareBridge Medicare Rx (Part D) it is a "
    "tier 3 drug and your copay is $47.00 for 60 tablets. You have 5 refills left."
)
b.user("So not today then. Okay, I'll call back tomorrow to order it. Thanks.")
b.assistant(
    "That's right, it can be refilled from tomorrow, March 15. Feel free to contact us then. Have a good day, Mr. Chen."
)
TASKS.finish(
    b,
    "eliquis_cost_and_date",
    "Lookup: copay and earliest refill date of Eliquis, combining two tools; no write.",
    instruction="You only want to know how much your next Eliquis refill will cost and from when you can get it. "
    "Do not order anything today; say you will call back.",
    persona="Robert Chen, 70, retired engineer, courteous and precise.",
    known_info="Name Robert Chen, date of birth January 30, 1955. You pay with your Medicare Part D plan.",
    unknown_info="Your copay, the earliest refill date, the prescription number.",
    communicate=["47.00", "March 15"],
    patterns=["multi-hop", "lookup"],
)

# 6. Moved out of the delivery area: address updated, delivery fails, prescription transferred instead.
b = TASKS.new()
b.user(
    "Hi, this is Linda Park, date of birth August 9, 1962. I just moved to 7781 Riverside Dr, Dublin, Ohio "
    "43017, and I'd like my metformin delivered to my new place."
)
b.call("find_patient", first_name="Linda", last_name="Park", date_of_birth="1962-08-09")
b.call("get_prescription", patient_id="PT-58842", rx_number="RX-6135510")
b.call("check_coverage", patient_id="PT-58842", rx_number="RX-6135510")
b.assistant(
    "Thank you, Ms. Park. Your metformin ER 500 mg (RX-6135510) can be refilled; the copay with Summit "
    "Health PPO is $10.00. Your address on file is still 2281 Indianola Ave, Columbus, OH 43201.\n\n"
    "To confirm: I'll change your address on file to 7781 Riverside Dr, Dublin, OH 43017, then place the "
    "metformin refill for home delivery billed to your insurance. Shall I go ahead?"
)
b.user("Yes, go ahead.")
b.call(
    "update_delivery_address",
    patient_id="PT-58842",
    street="7781 Riverside Dr",
    city="Dublin",
    state="OH",
    zip_code="43017",
)
b.call(
    "fill_prescription",
    patient_id="PT-58842",
    rx_number="RX-6135510",
    fulfillment="delivery",
    payment_method="insurance",
    expect_error=True,
)
b.call(
    "search_stores",
    "Your address is updated, but the delivery couldn't be placed: your new address is outside "
    "our store's delivery area. Let me check for a store near you.",
    city="Dublin",
)
b.assistant(
    "We have a store in Dublin: Northfield Pharmacy #1175 at 6470 Sawmill Rd, Dublin, OH 43017, phone "
    "(614) 555-0390. You can either pick up the metformin here at 1875 N High St, or I can transfer the "
    "prescription (RX-6135510, 5 refills left) to the Dublin store so they fill it from now on. Would you "
    "like me to transfer it?"
)
b.user("Yes, please transfer it to the Dublin store.")
b.call("transfer_prescription", patient_id="PT-58842", rx_number="RX-6135510", destination_store_id="ST-1175")
b.assistant(
    "Done. RX-6135510 with its 5 refills is now at Northfield Pharmacy #1175, 6470 Sawmill Rd, Dublin. "
    "Please call them at (614) 555-0390 to have the refill prepared or ask about their delivery area."
)
TASKS.finish(
    b,
    "metformin_moved_outside_delivery_area",
    "Patient moved: address updated, delivery fails (outside delivery "
    "area), agent recovers by transferring the prescription to the Dublin store.",
    instruction="You moved to 7781 Riverside Dr, Dublin, OH 43017 and want your metformin delivered there. Give "
    "your new address right away and confirm the change. If delivery is not possible, choose to have the "
    "prescription transferred to the Dublin store rather than driving to Columbus.",
    persona="Linda Park, 62, friendly retired teacher, busy unpacking after a move.",
    known_info="Name Linda Park, date of birth August 9, 1962. New address 7781 Riverside Dr, Dublin, OH 43017.",
    unknown_info="Whether the store delivers to Dublin, the Dublin store's address, your prescription number.",
    communicate=["delivery area", "Sawmill"],
    patterns=["error recovery", "multi-hop", "write"],
)

# 7. New medication with a major interaction: consult required, pickup instead of delivery, no medical advice.
b = TASKS.new()
b.user(
    "Hi, my doctor just sent over a new prescription for sertraline. Can you get it ready and deliver it to me? "
    "Marcus Reed, March 27, 1984."
)
b.call("find_patient", first_name="Marcus", last_name="Reed", date_of_birth="1984-03-27")
b.call("get_prescription", patient_id="PT-61705", rx_number="RX-6142276")
b.call("check_interactions", patient_id="PT-61705", rx_number="RX-6142276")
b.call("check_coverage", patient_id="PT-61705", rx_number="RX-6142276")
b.assistant(
    "Thanks, Mr. Reed. I have your new sertraline 50 mg prescription (RX-6142276) from Dr. Raman. Because "
    "it's a new medication, a pharmacist reviews it with you before it's dispensed. The system also flags a "
    "major interaction with your tramadol 50 mg (RX-6129004), so this first fill can't be delivered: it has "
    "to be picked up at the store so the pharmacist can talk with you in person. Your copay with Meridian "
    "Choice HMO is $5.00. Would you like me to place it for pickup, held for the pharmacist consultation?"
)
b.user("Wait, is it dangerous to take them together? Should I just stop the tramadol?")
b.assistant(
    "I'm not able to give medical advice, and please don't stop or change any medication on your own. The "
    "pharmacist will go over the interaction with you at pickup and can contact Dr. Raman or Dr. Kim if "
    "needed. Shall I place the sertraline order for pickup with the $5.00 copay?"
)
b.user("Okay, yes, I'll pick it up.")
b.call(
    "fill_prescription",
    patient_id="PT-61705",
    rx_number="RX-6142276",
    fulfillment="pickup",
    payment_method="insurance",
    pharmacist_consult=True,
)
b.assistant(
    "Your order ORD-58209 is placed for pickup at 1875 N High St and is held for the pharmacist's review. "
    "When you come in, the pharmacist will counsel you about sertraline and the tramadol interaction before "
    "handing it over. Your copay is $5.00."
)
TASKS.finish(
    b,
    "sertraline_new_med_interaction",
    "New sertraline prescription with a major tramadol interaction: agent "
    "fills it for pickup with pharmacist consult instead of delivery, and declines to give medical advice.",
    instruction="Your doctor sent a new sertraline prescription; you want it delivered. When the agent mentions "
    "an interaction with your tramadol, ask whether it is dangerous and whether you should stop the tramadol. "
    "Then agree to pick it up at the store.",
    persona="Marcus Reed, 40, warehouse supervisor, a little worried about new medicines.",
    known_info="Name Marcus Reed, date of birth March 27, 1984. You take tramadol for a back injury.",
    unknown_info="The interaction, the copay, the prescription numbers.",
    communicate=["tramadol", "5.00"],
    patterns=["multi-hop", "conflict", "write"],
)

# 8. Medical question about combining an OTC painkiller with warfarin: refer to the pharmacist.
b = TASKS.new()
b.user(
    "Hello dear. I had a tooth pulled yesterday and my dentist said I could take Advil. Is that all right with my "
    "warfarin?"
)
b.assistant(
    "I'm sorry about your tooth. Before we talk about your prescriptions I need to verify your identity: may "
    "I have your full name and date of birth?"
)
b.user("Evelyn Brooks, December 5, 1949.")
b.call("find_patient", first_name="Evelyn", last_name="Brooks", date_of_birth="1949-12-05")
b.assistant(
    "Thank you, Ms. Brooks. I'm not a pharmacist, so I can't advise whether Advil (ibuprofen) is safe with "
    "your warfarin 5 mg (RX-6087743); that question needs a pharmacist. I can ask a pharmacist to call you "
    "back about it at (614) 555-0163 today before 6:00 PM. Would you like me to do that?"
)
b.user("Yes, please have them call me.")
b.call("request_pharmacist_consult", patient_id="PT-70139", rx_number="RX-6087743", reason="drug_interaction")
b.assistant(
    "Done. Callback request CNS-7102 is in: a pharmacist will call you at (614) 555-0163 today before "
    "6:00 PM about taking Advil with your warfarin. If you have heavy bleeding that won't stop, call 911."
)
b.user("Thank you so much.")
b.assistant("You're welcome, Ms. Brooks. Feel better soon.")
TASKS.finish(
    b,
    "warfarin_ibuprofen_question",
    "Patient asks whether ibuprofen is safe with warfarin: agent gives no medical "
    "advice and requests a pharmacist callback.",
    instruction="You want to know whether you can take Advil (ibuprofen) for tooth pain while on warfarin. If the "
    "agent offers a pharmacist callback, accept it. Do not ask for refills.",
    persona="Evelyn Brooks, 75, warm and chatty, calls everyone 'dear'.",
    known_info="Name Evelyn Brooks, date of birth December 5, 1949. Your phone number is (614) 555-0163.",
    unknown_info="Whether ibuprofen interacts with warfarin, your prescription number.",
    communicate=["555-0163", "6:00 PM"],
    patterns=["refusal", "write"],
)

# 9. Two refills, one blocked by a pending prior authorization; the patient declines the cash price.
b = TASKS.new()
b.user("Hi, I'd like to refill my Ozempic and my metformin for pickup. Priya Natarajan, July 19, 1987.")
b.call("find_patient", first_name="Priya", last_name="Natarajan", date_of_birth="1987-07-19")
b.call("get_prescription", patient_id="PT-73480", rx_number="RX-6131877")
b.call("check_coverage", patient_id="PT-73480", rx_number="RX-6131877")
b.call("get_prescription", patient_id="PT-73480", rx_number="RX-6131878")
b.call("check_coverage", patient_id="PT-73480", rx_number="RX-6131878")
b.assistant(
    "Thanks, Priya. Both prescriptions are due, but Summit Health PPO requires a prior authorization for "
    "Ozempic 0.5 mg/dose pen (RX-6131877), and it is still pending, so I can't bill your insurance for it "
    "yet. The cash price would be $997.58. Your metformin ER 500 mg (RX-6131878) is covered with a $10.00 "
    "copay. Would you like the Ozempic at the cash price, or only the metformin for now?"
)
b.user("$997? No way. Can't you just push the authorization through?")
b.assistant(
    "I'm sorry, I can't: the prior authorization is between your plan and Dr. Whitlock's office at Lakeview "
    "Endocrinology, (614) 555-0334, and calling them is the best way to move it along. Shall I place just the "
    "metformin refill for pickup today with the $10.00 copay?"
)
b.user("Yes, just the metformin then.")
b.call(
    "fill_prescription", patient_id="PT-73480", rx_number="RX-6131878", fulfillment="pickup", payment_method="insurance"
)
b.assistant(
    "Done: order ORD-58209 for metformin ER 500 mg will be ready for pickup today, copay $10.00. Once the Ozempic "
    "prior authorization is approved, contact us and we'll fill it with your insurance."
)
TASKS.finish(
    b,
    "ozempic_prior_auth_pending",
    "Refill of Ozempic (prior authorization pending) and metformin: agent "
    "explains, offers cash, patient declines; only metformin is filled.",
    instruction="You want your Ozempic and metformin refilled for pickup. If the agent says the Ozempic cannot go "
    "through insurance, refuse to pay cash, ask once whether they can push the authorization through, then "
    "accept filling only the metformin.",
    persona="Priya Natarajan, 37, software engineer, direct and a bit frustrated with insurance paperwork.",
    known_info="Name Priya Natarajan, date of birth July 19, 1987. Your doctor said she would send something to "
    "your insurance for Ozempic.",
    unknown_info="The prior authorization status, prices, prescription numbers.",
    communicate=["pending", "997.58"],
    patterns=["conflict", "multi-hop", "write"],
)

# 10. Transfer to Cincinnati: two stores there (ask which), one schedule IV prescription already transferred once.
b = TASKS.new()
b.user(
    "Hi, I'm moving to Cincinnati next week. Can you transfer all my prescriptions to your Cincinnati store? "
    "Thomas Alvarez, born May 11, 1972."
)
b.call("find_patient", first_name="Thomas", last_name="Alvarez", date_of_birth="1972-05-11")
b.call("search_stores", city="Cincinnati")
b.call("get_prescription", patient_id="PT-80925", rx_number="RX-6125561")
b.assistant(
    "Thanks, Mr. Alvarez. We have two stores in Cincinnati: #1306 Over-the-Rhine at 1210 Vine St, and #1319 "
    "Clifton at 2800 Clifton Ave. Which one would you like?\n\nOne note: your alprazolam 0.5 mg "
    "(RX-6125561) is a schedule IV controlled substance that was already transferred to us from another "
    "pharmacy, and these can be transferred only once. So I can transfer your sertraline (RX-6110423) and "
    "lisinopril (RX-6110424), but for the alprazolam you'll need a new prescription from Dr. Osei sent to "
    "the Cincinnati store."
)
b.user("The Clifton one, it's close to my new apartment. Okay, do the other two then.")
b.assistant(
    "To confirm: I'll transfer sertraline 50 mg (RX-6110423, 4 refills) and lisinopril 10 mg (RX-6110424, "
    "3 refills) to Northfield Pharmacy #1319 - Clifton, 2800 Clifton Ave, Cincinnati. Shall I proceed?"
)
b.user("Yes.")
b.call("transfer_prescription", patient_id="PT-80925", rx_number="RX-6110423", destination_store_id="ST-1319")
b.call("transfer_prescription", patient_id="PT-80925", rx_number="RX-6110424", destination_store_id="ST-1319")
b.assistant(
    "Both are transferred to Northfield Pharmacy #1319 - Clifton, 2800 Clifton Ave, Cincinnati, OH 45220, "
    "phone (513) 555-0176. Remember to ask Dr. Osei for a new alprazolam prescription to be sent there."
)
b.user("Will do. Thanks for your help.")
b.assistant("You're welcome, Mr. Alvarez. Good luck with the move.")
TASKS.finish(
    b,
    "transfer_to_cincinnati",
    "Transfer all prescriptions to Cincinnati: agent asks which of two stores, "
    "transfers two, explains the alprazolam cannot be transferred a second time.",
    instruction="You are moving to Cincinnati and want all your prescriptions transferred to the Northfield store "
    "there. If asked which store, choose the Clifton one (near your new apartment). If one prescription cannot be "
    "transferred, accept transferring the others.",
    persona="Thomas Alvarez, 52, contractor, relaxed and cooperative.",
    known_info="Name Thomas Alvarez, date of birth May 11, 1972. You take sertraline, lisinopril and alprazolam. "
    "Your new apartment is in Clifton.",
    unknown_info="How many Northfield stores are in Cincinnati, the transfer rules for controlled substances.",
    communicate=["alprazolam", "555-0176"],
    patterns=["clarification", "multi-hop", "conflict", "write"],
)

# 11. Wrong date of birth, then a refill for home delivery.
b = TASKS.new()
b.user("Hi, I'd like my cholesterol pill refilled and delivered to my apartment.")
b.assistant("Happy to help. First, may I have your full name and date of birth to verify your identity?")
b.user("Gloria Simmons, September 3, 1957.")
b.call("find_patient", first_name="Gloria", last_name="Simmons", date_of_birth="1957-09-03", expect_error=True)
b.assistant(
    "I couldn't find a profile matching those details. Could you double-check your date of birth and the "
    "spelling of your name?"
)
b.user("Oh, I'm sorry, it's September 30, 1957, not the 3rd.")
b.call("find_patient", first_name="Gloria", last_name="Simmons", date_of_birth="1957-09-30")
b.call("get_prescription", patient_id="PT-84471", rx_number="RX-6102289")
b.call("check_coverage", patient_id="PT-84471", rx_number="RX-6102289")
b.assistant(
    "Thank you, Ms. Simmons, you're verified. Your atorvastatin 20 mg (RX-6102289) can be refilled; the copay "
    "with CareBridge Medicare Rx (Part D) is $4.00. I'll place it for home delivery to 95 W Lane Ave Apt 5C, "
    "Columbus, OH 43210, arriving tomorrow, March 15. Shall I go ahead?"
)
b.user("Yes, please.")
b.call(
    "fill_prescription",
    patient_id="PT-84471",
    rx_number="RX-6102289",
    fulfillment="delivery",
    payment_method="insurance",
)
b.assistant(
    "Done. Order ORD-58209 will be delivered to 95 W Lane Ave Apt 5C tomorrow, March 15; your copay is $4.00 "
    "and 5 refills remain."
)
TASKS.finish(
    b,
    "atorvastatin_wrong_dob_delivery",
    "Patient first gives a wrong date of birth (lookup fails), then the "
    "correct one; atorvastatin is filled for delivery.",
    instruction="You want your cholesterol pill refilled and delivered to your apartment. When first asked for "
    "your date of birth, mistakenly say September 3, 1957; if told there is no match, correct it to September "
    "30, 1957. Accept the copay and delivery.",
    persona="Gloria Simmons, 67, retired nurse, pleasant but a little distracted.",
    known_info="Name Gloria Simmons, date of birth September 30, 1957. You live at 95 W Lane Ave Apt 5C, "
    "Columbus, OH 43210.",
    unknown_info="The name of the drug as it is on file (you call it your cholesterol pill), your copay.",
    communicate=["4.00", "March 15"],
    patterns=["error recovery", "write"],
)

# 12. Switch a ready pickup order of a schedule V drug to delivery.
b = TASKS.new()
b.user(
    "Hello. I had knee surgery and can't drive, so I can't come pick up the prescription you have ready for me. "
    "Could you deliver it instead? Harold Jensen, February 14, 1946."
)
b.call("find_patient", first_name="Harold", last_name="Jensen", date_of_birth="1946-02-14")
b.assistant(
    "Thank you, Mr. Jensen, and I hope the knee is healing well. Your order ORD-58207 for pregabalin 75 mg "
    "capsules is ready for pickup, with a $15.00 copay. I can switch it to home delivery to 1420 Neil Ave, "
    "Columbus, OH 43201, arriving tomorrow, March 15. Because pregabalin is a schedule V controlled "
    "substance, an adult will need to sign for it. Shall I switch it to delivery?"
)
b.user("Yes, my wife will be home to sign. Please do.")
b.call("update_fill_order", patient_id="PT-90312", order_id="ORD-58207", fulfillment="delivery")
b.assistant(
    "Done. Order ORD-58207 will now be delivered to 1420 Neil Ave tomorrow, March 15, and needs an adult "
    "signature on delivery. The copay stays $15.00."
)
b.user("Wonderful, thank you.")
b.assistant("You're welcome, Mr. Jensen. Take care of that knee.")
TASKS.finish(
    b,
    "pregabalin_order_switch_to_delivery",
    "A ready pickup order for pregabalin (schedule V) is switched to home "
    "delivery; agent mentions the adult signature.",
    instruction="You have a prescription ready for pickup but had knee surgery and cannot drive. Ask to have it "
    "delivered to your home instead. Your wife will be home to sign for it.",
    persona="Harold Jensen, 79, retired postal worker, soft-spoken and grateful.",
    known_info="Name Harold Jensen, date of birth February 14, 1946. You live at 1420 Neil Ave, Columbus.",
    unknown_info="The order number, the drug's schedule, the delivery date.",
    communicate=["March 15", "signature"],
    patterns=["write"],
)

# 13. Insurance coverage ended: the agent explains and the patient pays cash.
b = TASKS.new()
b.user("Hi, can I get a refill of my atorvastatin for pickup? Kevin O'Brien, October 8, 1990.")
b.call("find_patient", first_name="Kevin", last_name="O'Brien", date_of_birth="1990-10-08")
b.call("get_prescription", patient_id="PT-93058", rx_number="RX-6137720")
b.call("check_coverage", patient_id="PT-93058", rx_number="RX-6137720")
b.assistant(
    "Thanks, Kevin. Your atorvastatin 20 mg (RX-6137720) can be refilled, but your Summit Health PPO coverage "
    "ended on February 28, 2025, so I can't bill it to insurance. The cash price for 30 tablets is $18.40. "
    "If you have a new insurance card, it has to be shown at the pharmacy counter to be added. Would you "
    "like to pay the cash price?"
)
b.user("Yeah, I changed jobs and the new card hasn't come yet. $18.40 is fine, I'll pay cash.")
b.assistant(
    "To confirm: refill atorvastatin 20 mg (RX-6137720) for pickup today at 1875 N High St, paid in cash, "
    "$18.40. Shall I place it?"
)
b.user("Yes.")
b.call("fill_prescription", patient_id="PT-93058", rx_number="RX-6137720", fulfillment="pickup", payment_method="cash")
b.assistant("Done: order ORD-58209 will be ready for pickup today; the amount due is $18.40 cash. 3 refills remain.")
TASKS.finish(
    b,
    "atorvastatin_insurance_ended_cash",
    "Insurance coverage has ended: agent explains, quotes the cash price, patient accepts; filled for pickup as cash.",
    instruction="You want to refill your atorvastatin for pickup. You recently changed jobs and do not have your "
    "new insurance card yet. If you cannot use insurance, pay cash as long as it is under $25.",
    persona="Kevin O'Brien, 34, easygoing electrician.",
    known_info="Name Kevin O'Brien, date of birth October 8, 1990. Your old insurance was Summit Health PPO.",
    unknown_info="That your old coverage ended on February 28, the cash price.",
    communicate=["18.40", "February 28"],
    patterns=["conflict", "multi-hop", "write"],
)


DOMAIN = Domain(
    name=NAME,
    description="Retail pharmacy prescription refill desk (Northfield Pharmacy, Columbus, OH): identity check by "
    "name and date of birth, refills with refill-too-soon and expiration rules, controlled substance schedules, "
    "insurance copays and prior authorization, pickup or home delivery, transfers between stores, renewal requests "
    "to prescribers and pharmacist callbacks.",
    policy=POLICY,
    tools=Kit.tool_specs(),
    state_schema=Kit.state_schema(),
    initial_state=INITIAL_STATE,
    version=0,
    max_turns=30,
)


if __name__ == "__main__":
    print(f"wrote {write_domain(DOMAIN, TASKS, HERE)} ({len(TASKS)} tasks)")
