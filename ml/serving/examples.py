"""Example requests from an install's raw layer: each lead (or deal) as the CRM delivered it
by a date (its latest version) with every activity (and stage change) delivered for it by
then. The demo writes one to show a working ``curl`` line; the tests send every open lead
and deal this way."""

from __future__ import annotations

from datetime import date

import duckdb

from ml.contract import LANDING_TABLES


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


def api_hint(settings, as_of: date) -> list[str]:
    """Lines that tell how to call the API on this install, with a working ``curl``: an
    example request (the best-scored open lead of ``as_of``, as the CRM delivered it) is
    written to ``<home>/serving/example_request.json``, and the commands read the token
    from ``<home>/secrets/api_token`` (:func:`ml.access.ensure_api_token`) rather than
    print it."""
    import json

    from ml.access import ensure_api_token

    with duckdb.connect(str(settings.work_warehouse), read_only=True) as con:
        top = con.execute(
            "select lead_id from ml.lead_scores where score_date = ? and not is_stale "
            "order by conversion_probability desc, lead_id limit 1",
            [as_of],
        ).fetchone()
        if top is None:
            return []
        body = request_for(con, as_of, [top[0]])
    path = settings.home / "serving" / "example_request.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2))
    token = ensure_api_token(settings)
    port = settings.serving().port
    return [
        f"Scoring API:  SALESPIPE_API_TOKENS=$(cat {token}) salespipe serve",
        "  then, from another shell (one lead, as the CRM sent it; docs/serving.md):",
        f"  curl -s http://127.0.0.1:{port}/v1/leads/score"
        f' -H "Authorization: Bearer $(cat {token})"'
        f" -H 'Content-Type: application/json' -d @{path}",
    ]


def deal_request_for(con: duckdb.DuckDBPyConnection, as_of: date, deal_ids: list[str]) -> dict:
    """The JSON body of POST /v1/opportunities/score for ``deal_ids`` as of ``as_of``: each
    deal's latest version delivered by then, with its and its account's activities and its
    stage changes delivered by then."""
    deal_columns = list(LANDING_TABLES["opportunities"].columns)
    activity_columns = [c for c in LANDING_TABLES["activities"].columns
                        if c not in ("subject", "body_text")]  # fmt: skip
    change_columns = ["stage", "changed_at", "amount", "close_date"]

    def text(columns: list[str]) -> str:
        return ", ".join(f'"{c}"::varchar as "{c}"' for c in columns)

    deals = con.execute(
        f"""
        select {text(deal_columns)} from raw.opportunities
        where _delivery_date <= ? and opportunity_id in (select unnest(?))
        qualify row_number() over (
            partition by opportunity_id
            order by try_cast(updated_at as timestamp) desc nulls last, _delivery_date desc,
                     _source_file desc, _source_row desc) = 1
        order by opportunity_id
        """,
        [as_of, deal_ids],
    ).fetchall()
    body = []
    for row in deals:
        deal = {k: v for k, v in zip(deal_columns, row, strict=True) if v is not None}
        activities = con.execute(
            f"""
            select {text(activity_columns)} from raw.activities
            where _delivery_date <= ? and (opportunity_id = ? or account_id = ?)
            qualify row_number() over (
                partition by activity_id
                order by _delivery_date desc, _source_file desc, _source_row desc) = 1
            order by activity_id
            """,
            [as_of, deal["opportunity_id"], deal["account_id"]],
        ).fetchall()
        changes = con.execute(
            f"""
            select {text(change_columns)} from raw.opportunity_stage_history
            where _delivery_date <= ? and opportunity_id = ?
            qualify row_number() over (
                partition by changed_at
                order by _delivery_date desc, _source_file desc, _source_row desc) = 1
            order by changed_at
            """,
            [as_of, deal["opportunity_id"]],
        ).fetchall()
        deal["activities"] = [
            {k: v for k, v in zip(activity_columns, a, strict=True) if v is not None}
            for a in activities
        ]
        deal["stage_history"] = [
            {k: v for k, v in zip(change_columns, c, strict=True) if v is not None} for c in changes
        ]
        body.append(deal)
    return {"as_of": as_of.isoformat(), "opportunities": body}
