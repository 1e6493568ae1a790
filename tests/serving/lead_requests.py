"""Building API requests from an install's raw layer: each lead as the CRM delivered it
by a date (its latest version) with every activity delivered for it by then."""

from __future__ import annotations

from datetime import date

import duckdb

from ml.contract import LANDING_TABLES

BUSINESS_DATE = date(2024, 7, 18)  # the serving tests' night: day 200 from 2024-01-01
TOKEN = "test-token-1"


def request_for(con: duckdb.DuckDBPyConnection, as_of: date, lead_ids: list[str]) -> dict:
    """The JSON body of POST /v1/leads/score for ``lead_ids`` as of ``as_of``."""
    raw_lead_columns = {r[0] for r in con.execute("describe raw.leads").fetchall()}
    lead_columns = [c for c in LANDING_TABLES["leads"].columns if c in raw_lead_columns]
    lead_columns += sorted(c for c in raw_lead_columns if c.startswith("attr_"))
    activity_columns = list(LANDING_TABLES["activities"].columns)
    quoted = ", ".join(f'"{c}"' for c in lead_columns)
    leads = con.execute(
        f"""
        select {quoted} from raw.leads
        where _delivery_date <= ? and lead_id in (select unnest(?))
        qualify row_number() over (
            partition by lead_id
            order by try_cast(updated_at as timestamp) desc nulls last, _delivery_date desc,
                     _source_file desc, _source_row desc) = 1
        order by lead_id
        """,
        [as_of, lead_ids],
    ).fetchall()
    activities = con.execute(
        f"""
        select {", ".join(activity_columns)} from raw.activities
        where _delivery_date <= ? and lead_id in (select unnest(?))
        qualify row_number() over (
            partition by activity_id
            order by _delivery_date desc, _source_file desc, _source_row desc) = 1
        order by activity_id
        """,
        [as_of, lead_ids],
    ).fetchall()
    by_lead: dict[str, list[dict]] = {}
    for row in activities:
        activity = {k: v for k, v in zip(activity_columns, row, strict=True) if v is not None}
        by_lead.setdefault(activity["lead_id"], []).append(activity)
    body = []
    for row in leads:
        lead = {k: v for k, v in zip(lead_columns, row, strict=True) if v is not None}
        lead["activities"] = by_lead.get(lead["lead_id"], [])
        body.append(lead)
    return {"as_of": as_of.isoformat(), "leads": body}
