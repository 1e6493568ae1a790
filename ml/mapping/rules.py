"""What the contract allows in a mapped column: closed vocabularies, dates, custom-field names.

The stage order's default is CONTRACT §1's (and dbt's var ``stage_order``); a mapping
whose CRM uses other stages lists them under ``stages:``, and dbt's var must then say
the same.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

DEFAULT_STAGES: tuple[str, ...] = (
    "prospecting",
    "qualification",
    "proposal",
    "negotiation",
    "closed_won",
    "closed_lost",
)
LEAD_STATUSES: tuple[str, ...] = ("open", "working", "qualified", "disqualified", "converted")
BOOLEANS: tuple[str, ...] = ("true", "false")

ATTR_NAME = re.compile(r"attr_[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def allowed_values(table: str, column: str, stages: tuple[str, ...]) -> tuple[str, ...] | None:
    """The closed vocabulary of a contract column, or None when any text is allowed."""
    if column == "stage" and table in ("opportunities", "opportunity_stage_history"):
        return stages
    if table == "leads" and column == "status":
        return LEAD_STATUSES
    if table == "opportunities" and column in ("is_closed", "is_won"):
        return BOOLEANS
    return None


def vocabulary_name(table: str, column: str, stages: tuple[str, ...]) -> str:
    """How a message names the vocabulary of ``allowed_values`` (e.g. 'the contract stages')."""
    if column == "stage":
        return "the contract stages" if stages == DEFAULT_STAGES else "the mapping's stages"
    if column == "status":
        return "the contract lead statuses"
    return "true/false"


NUMERIC_COLUMNS: frozenset[str] = frozenset(
    {"amount", "employees", "annual_revenue", "duration_seconds", "value"}
)


def is_numeric(column: str) -> bool:
    """Whether a contract column holds a number (the mapping's number format applies)."""
    return column in NUMERIC_COLUMNS


def is_temporal(column: str) -> bool:
    """Whether a contract column holds a date or timestamp (``*_at``, ``*_date``, ``date``)."""
    return column == "date" or column.endswith(("_at", "_date"))


def parse_iso(text: str) -> date | None:
    """The UTC calendar date of an ISO 8601 date or timestamp, or None if it is not one.

    A timestamp without a zone is UTC (CONTRACT §1).
    """
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()


def snake_case(name: str) -> str:
    """``'Budget Confirmed?'`` -> ``'budget_confirmed'``: what an attr_ name should look like."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")
