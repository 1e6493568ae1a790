"""Assets the salespipe DAGs hand each other, named after what they stand for, and the
rule every DAG uses to find its business date.

Not a DAG file (listed in .airflowignore); DAG files import it from the dags folder.
"""

from datetime import date

from airflow.sdk import Asset, Param

WAREHOUSE_MARTS = (
    "lead_features",
    "lead_outcomes",
    "opportunities",
    "opportunity_stage_history",
    "daily_revenue",
    "market_indicators_daily",
)

MART_ASSETS = {name: Asset(f"duckdb://warehouse/marts/{name}") for name in WAREHOUSE_MARTS}
PUBLISHED_WAREHOUSE = Asset("duckdb://warehouse/published")
LEAD_SCORES = Asset("duckdb://warehouse/ml/lead_scores")
REVENUE_FORECASTS = Asset("duckdb://warehouse/ml/revenue_forecasts")
# Emitted by whatever asks for a new lead model (a drift alert, a person): the
# on-demand training DAG is scheduled on it.
LEAD_MODEL_RETRAINING_REQUESTED = Asset("mlflow://models/lead_scoring/retraining_requested")

# DuckDB allows one writer per file: every task that opens the working warehouse runs
# in this one-slot pool (created by `salespipe run`, and by docker-compose's init).
WAREHOUSE_POOL = "salespipe_warehouse"

# Asset-triggered runs have no data interval, so the producer writes the business date
# into each asset event's extra, and a person triggering by hand passes it as a param.
BUSINESS_DATE_KEY = "business_date"
BUSINESS_DATE_PARAMS = {
    BUSINESS_DATE_KEY: Param(
        None,
        type=["null", "string"],
        format="date",
        description="Business date (YYYY-MM-DD). Empty: taken from the triggering asset events.",
    ),
    "trigger": Param(
        None,
        type=["null", "string"],
        description="Why this run was started (manual, drift, ...), for the records.",
    ),
}


def business_date_extra(business_date: date) -> dict:
    """The extra a producer puts on the asset events it emits."""
    return {BUSINESS_DATE_KEY: business_date.isoformat()}


def trigger_of(params, triggering_asset_events, default: str) -> str:
    """Why the run started: the ``trigger`` param, else the one a producer wrote into the
    triggering events (e.g. ``drift``), else ``default``."""
    if params and params.get("trigger"):
        return params["trigger"]
    for events in (triggering_asset_events or {}).values():
        for event in events:
            if (event.extra or {}).get("trigger"):
                return event.extra["trigger"]
    return default


def business_date_of(params, triggering_asset_events) -> date:
    """The business date of an asset-scheduled or hand-triggered run.

    A ``business_date`` param wins; otherwise the latest business date carried by the
    triggering asset events.

    Raises:
        ValueError: neither says which date to run.
    """
    if params and params.get(BUSINESS_DATE_KEY):
        return date.fromisoformat(params[BUSINESS_DATE_KEY])
    dates = [
        date.fromisoformat(event.extra[BUSINESS_DATE_KEY])
        for events in (triggering_asset_events or {}).values()
        for event in events
        if (event.extra or {}).get(BUSINESS_DATE_KEY)
    ]
    if not dates:
        raise ValueError(
            "No business date: trigger this DAG with the param business_date=YYYY-MM-DD, "
            "or let the warehouse build's asset events (which carry it) trigger it."
        )
    return max(dates)
