"""The landing-zone tables of CONTRACT §1: keys, required and optional columns.

Ingest pre-creates every contract column in ``raw.<table>``, so dbt staging can rely
on them existing even when no delivery has carried an optional column yet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A landing zone written from a mapping says what its tables are in this file: the
# columns no model may use (leakage_columns), and the tables whose rows are final
# states (final_state_tables). docs/mapping.md.
LANDING_MARKER = "_mapping.json"


@dataclass(frozen=True)
class LandingTable:
    """One table a CRM delivers: its key, required columns and optional columns."""

    name: str
    key: tuple[str, ...]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    # leads may carry any number of custom fields named attr_<name>
    allows_custom_fields: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + tuple(c for c in self.optional if c not in self.required)


LANDING_TABLES: dict[str, LandingTable] = {
    table.name: table
    for table in (
        LandingTable(
            "accounts",
            key=("account_id",),
            required=("account_id", "account_name", "created_at", "updated_at"),
            optional=("industry", "employees", "annual_revenue", "country", "region"),
        ),
        LandingTable(
            "sales_reps",
            key=("rep_id",),
            required=("rep_id", "rep_name", "updated_at"),
            optional=("team", "region", "manager_id", "hired_at"),
        ),
        LandingTable(
            "leads",
            key=("lead_id",),
            required=("lead_id", "created_at", "updated_at", "source", "status"),
            optional=(
                "email",
                "first_name",
                "last_name",
                "phone",
                "company",
                "title",
                "country",
                "industry",
                "employees",
                "owner_rep_id",
                "account_id",
                "converted_at",
                "converted_opportunity_id",
            ),
            allows_custom_fields=True,
        ),
        LandingTable(
            "opportunities",
            key=("opportunity_id",),
            required=(
                "opportunity_id",
                "account_id",
                "created_at",
                "updated_at",
                "stage",
                "amount",
                "close_date",
            ),
            optional=(
                "owner_rep_id",
                "lead_id",
                "product",
                "currency",
                "is_closed",
                "is_won",
                "closed_at",
            ),
        ),
        LandingTable(
            "opportunity_stage_history",
            key=("opportunity_id", "changed_at"),
            required=("opportunity_id", "stage", "changed_at"),
            optional=("amount", "close_date"),
        ),
        LandingTable(
            "activities",
            key=("activity_id",),
            required=("activity_id", "occurred_at", "activity_type"),
            optional=(
                "lead_id",
                "opportunity_id",
                "account_id",
                "rep_id",
                "channel",
                "duration_seconds",
                "subject",
                "body_text",
            ),
        ),
        LandingTable(
            "market_indicators",
            key=("indicator", "date"),
            required=("date", "indicator", "value"),
            optional=("source",),
        ),
    )
}

# Columns ingest adds to every raw row: where it came from and when it was loaded.
LINEAGE_COLUMNS: dict[str, str] = {
    "_delivery_date": "DATE",
    "_source_file": "VARCHAR",
    "_source_row": "BIGINT",
    "_loaded_at": "TIMESTAMP",
}


def landing_marker(landing: Path) -> dict[str, Any]:
    """What a mapped landing zone says of itself (``_mapping.json``); empty if none."""
    marker = Path(landing) / LANDING_MARKER
    if not marker.exists():
        return {}
    return json.loads(marker.read_text(encoding="utf-8"))


def final_state_tables(landing: Path) -> set[str]:
    """Tables of the landing zone whose rows are final states, not changes."""
    return set(landing_marker(landing).get("final_state_tables", []))
