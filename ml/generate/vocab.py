"""Vocabularies and the effect sizes that put learnable signal into the data.

Values match docs/landing-and-raw.md. Each categorical comes with a sampling weight
and, where it drives an outcome, a log-odds effect: a model that recovers these
effects from the files has learned what the generator put in.
"""

from __future__ import annotations

import numpy as np

# --- leads -----------------------------------------------------------------------
SOURCES = ("web", "referral", "event", "partner", "outbound", "paid_search")
SOURCE_WEIGHTS = np.array([0.30, 0.10, 0.10, 0.12, 0.18, 0.20])
SOURCE_EFFECT = np.array([0.0, 1.0, 0.7, 0.4, -0.6, -0.7])
# Web-born leads arrive around the clock; the others follow office hours.
SOURCE_IS_WEB = np.array([True, False, False, False, False, True])

STATUSES = ("open", "working", "qualified", "disqualified", "converted")
OPEN, WORKING, QUALIFIED, DISQUALIFIED, CONVERTED = range(5)

# Free-text job titles, one line per seniority; the model has to read seniority out of them.
# fmt: off
TITLES = (
    "CEO", "Chief Financial Officer", "CTO", "COO",
    "VP Sales", "VP of Marketing", "VP Operations",
    "Director of Sales", "IT Director", "Director, Revenue Operations",
    "Sales Manager", "Marketing Manager", "Operations Manager",
    "Business Analyst", "Data Analyst",
    "Sales Coordinator", "Marketing Specialist",
    "Intern",
)
TITLE_WEIGHTS = np.array([
    2, 1.5, 1.5, 1,
    3, 3, 2,
    5, 4, 3,
    9, 9, 7,
    10, 8,
    8, 8,
    2,
], dtype=float)
TITLE_EFFECT = np.array([
    0.8, 0.8, 0.8, 0.8,
    0.6, 0.6, 0.6,
    0.35, 0.35, 0.35,
    0.0, 0.0, 0.0,
    -0.4, -0.4,
    -0.5, -0.5,
    -1.2,
])
# fmt: on

BUDGET = ("yes", "no")  # plus empty
BUDGET_WEIGHTS = np.array([0.30, 0.25, 0.45])  # yes, no, empty
BUDGET_EFFECT = np.array([0.9, -0.5, 0.0])

LEAD_FORMS = ("demo_request", "pricing", "whitepaper", "webinar", "contact_us")
LEAD_FORM_WEIGHTS = np.array([0.15, 0.15, 0.30, 0.20, 0.20])
LEAD_FORM_EFFECT = np.array([0.8, 0.5, -0.5, -0.2, 0.1])
# Forms where a visitor is asked for a seat count.
LEAD_FORM_ASKS_SEATS = np.array([True, True, False, False, True])

# fmt: off
FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
    "Sarah", "Carlos", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sofia",
    "Mark", "Emma", "Paul", "Olivia", "Steven", "Mia", "Andrew", "Hannah", "Kenji", "Yuki",
    "Priya", "Arjun", "Lukas", "Anna", "Lars", "Ingrid", "Pierre", "Camille", "Mateo",
    "Lucia", "Wei", "Mei", "Oliver", "Chloe", "Ahmed", "Fatima", "Noah", "Ava", "Liam",
    "Zoe", "Ethan", "Grace", "Diego", "Elena",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis",
    "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams",
    "Nelson", "Campbell", "Mueller", "Schmidt", "Fischer", "Weber", "Dubois", "Laurent",
    "Rossi", "Bianchi", "Tanaka", "Suzuki", "Sato", "Patel", "Sharma", "Chen", "Wang",
    "Kim", "Park", "Silva", "Santos", "Johansson", "Nilsson", "OBrien", "Murphy",
    "Kowalski",
)

# fmt: on

# --- accounts and reps ----------------------------------------------------------------
INDUSTRIES = (
    "software",
    "manufacturing",
    "retail",
    "healthcare",
    "financial_services",
    "education",
    "logistics",
    "media",
    "energy",
    "professional_services",
)
REGIONS = ("NA", "EMEA", "APAC", "LATAM")
REGION_WEIGHTS = np.array([0.50, 0.30, 0.15, 0.05])
# Countries per region (ISO 3166 alpha-2), their phone prefix and web domain suffix.
COUNTRIES = ("US", "CA", "GB", "DE", "FR", "NL", "SE", "AU", "JP", "SG", "IN", "BR", "MX")
COUNTRY_REGION = np.array([0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3])
# fmt: off
COUNTRY_WEIGHT_IN_REGION = np.array(
    [0.85, 0.15, 0.35, 0.25, 0.2, 0.1, 0.1, 0.35, 0.2, 0.15, 0.3, 0.6, 0.4]
)
COUNTRY_PHONE = (
    "+1", "+1", "+44", "+49", "+33", "+31", "+46", "+61", "+81", "+65", "+91", "+55", "+52",
)
COUNTRY_TLD = (
    ".com", ".ca", ".co.uk", ".de", ".fr", ".nl", ".se", ".com.au", ".jp", ".sg", ".in",
    ".com.br", ".mx",
)

COMPANY_PREFIXES = (
    "North", "Blue", "Bright", "Summit", "Silver", "Green", "Iron", "Cedar", "Harbor",
    "Pioneer", "Atlas", "Nova", "Apex", "Crest", "Vertex", "Granite", "Maple", "Falcon",
    "Orbit", "Prime", "Quantum", "River", "Stone", "Sun", "Terra", "Urban", "Vista", "West",
    "Zenith", "Coastal",
)
COMPANY_CORES = (
    "wind", "field", "point", "bridge", "wave", "stack", "works", "labs", "logic", "path",
    "gate", "line", "forge", "core", "base", "peak", "grid", "leaf", "spark", "view",
)
COMPANY_SUFFIXES = (" Inc.", ", Inc.", " Ltd", " GmbH", " LLC", " Group", " Corp", "")
# fmt: on

TEAMS = ("SMB", "Mid-Market", "Enterprise")

# --- opportunities ----------------------------------------------------------------
STAGES = ("prospecting", "qualification", "proposal", "negotiation", "closed_won", "closed_lost")
CLOSED_WON, CLOSED_LOST = 4, 5
# Mean days spent in each open stage by an average-velocity opportunity.
STAGE_DAYS = np.array([7.0, 12.0, 15.0, 12.0])
# Where a lost opportunity dies.
LOST_AT_WEIGHTS = np.array([0.30, 0.30, 0.25, 0.15])
PRODUCTS = ("core", "analytics", "enterprise", "services")
PRODUCT_SEAT_PRICE = np.array([600.0, 900.0, 1500.0, 0.0])
SERVICES_AMOUNT = 20_000.0

# --- calendar -----------------------------------------------------------------------
# Monday first. Few leads and closes on weekends.
WEEKDAY_FACTOR = np.array([1.05, 1.10, 1.10, 1.05, 0.90, 0.30, 0.25])
# January first: strong Q4, weak summer.
MONTH_FACTOR = np.array([0.95, 1.0, 1.05, 1.0, 1.0, 0.9, 0.75, 0.7, 1.0, 1.15, 1.25, 1.05])
MONTH_WIN_EFFECT = np.array([0.0, 0.0, 0.1, 0.0, 0.0, -0.1, -0.35, -0.35, 0.0, 0.3, 0.35, 0.45])

# --- activities -----------------------------------------------------------------------
ACTIVITY_TYPES = ("email", "call", "meeting", "demo", "web_visit")
EMAIL, CALL, MEETING, DEMO, WEB_VISIT = range(5)
CHANNELS = ("email", "phone", "video", "in_person", "web")
SUBJECTS = {
    EMAIL: ("Introduction", "Follow-up", "Pricing details", "Next steps", "Case study"),
    CALL: ("Discovery call", "Follow-up call", "Check-in call"),
    MEETING: ("Kick-off meeting", "Requirements workshop", "Stakeholder meeting"),
    DEMO: ("Product demo", "Technical deep-dive demo"),
    WEB_VISIT: (
        "Visited pricing page",
        "Visited product page",
        "Read blog post",
        "Downloaded whitepaper",
    ),
}
