"""What every salespipe DAG shares: the Assets they hand each other, the one DAG
signature (owner, retries, the warehouse pool), and the one rule for the business date.

Not a DAG file (listed in .airflowignore); DAG files import it from the dags folder.
The names (assets, pool, DAG ids, model names) are ml/names.py's, defined there once.
"""

from contextlib import contextmanager
from datetime import date, timedelta
from importlib.util import find_spec, module_from_spec, spec_from_file_location
from pathlib import Path

import pendulum
from airflow.sdk import Asset, Param, dag


def _load_names():
    """ml/names.py, loaded from its file rather than by ``import ml.names``: importing the
    ``ml`` package runs ml/__init__.py, which sets the process's umask and telemetry
    variables, and parsing a DAG file must not change the DAG processor. names.py
    imports nothing, so this loads nothing heavy."""
    spec = spec_from_file_location(
        "salespipe_names", Path(find_spec("ml").submodule_search_locations[0]) / "names.py"
    )
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


names = _load_names()
WAREHOUSE_POOL = names.WAREHOUSE_POOL
MART_ASSETS = {name: Asset(uri) for name, uri in names.MART_URIS.items()}
PUBLISHED_WAREHOUSE = Asset(names.PUBLISHED_WAREHOUSE_URI)
LEAD_SCORES = Asset(names.LEAD_SCORES_URI)
REVENUE_FORECASTS = Asset(names.REVENUE_FORECASTS_URI)
OPPORTUNITY_SCORES = Asset(names.OPPORTUNITY_SCORES_URI)
OPPORTUNITY_SCORES_WRITTEN = Asset(names.OPPORTUNITY_SCORES_WRITTEN_URI)
LEAD_MODEL_RETRAINING_REQUESTED = Asset(names.LEAD_MODEL_RETRAINING_REQUESTED_URI)

# Asset-triggered runs have no business day of their own, so the producer writes the
# business date into each asset event's extra, and a person triggering by hand passes it
# as a param.
BUSINESS_DATE_KEY = names.BUSINESS_DATE_KEY
BUSINESS_DATE_PARAMS = {
    BUSINESS_DATE_KEY: Param(
        None,
        type=["null", "string"],
        format="date",
        description="Business date (YYYY-MM-DD). Empty: taken from the triggering asset events.",
    ),
    names.TRIGGER_KEY: Param(
        None,
        type=["null", "string"],
        description="Why this run was started (manual, drift, ...), for the records.",
    ),
}


def default_args(owner: str = "ml-engineering", retries: int = 1) -> dict:
    """Every task: an owner, retries, and the warehouse pool (one slot: DuckDB allows
    one writer per file, so tasks that open the working warehouse queue)."""
    return {
        "owner": owner,
        "retries": retries,
        "retry_delay": timedelta(minutes=2),
        "pool": WAREHOUSE_POOL,
    }


def salespipe_dag(dag_id: str, *, schedule, doc_md: str, tags: list[str], **args):
    """``@dag`` as every salespipe DAG is declared: no catch-up, one run at a time, the
    business-date params, :func:`default_args` (``args`` are its owner and retries).

    ``start_date`` is far back on purpose: Airflow creates no task for a run dated before
    it, and a CRM export can be years old (the Maven sample ends in 2017).
    """
    return dag(
        dag_id=dag_id,
        schedule=schedule,
        start_date=pendulum.datetime(2000, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        params=BUSINESS_DATE_PARAMS,
        doc_md=doc_md,
        tags=["salespipe", *tags],
        default_args=default_args(**args),
    )


@contextmanager
def no_retry_on(*errors: type[Exception]):
    """Fail the task at once on ``errors``: verdicts that stand until the data changes."""
    from airflow.sdk.exceptions import AirflowFailException

    try:
        yield
    except errors as exc:
        raise AirflowFailException(str(exc)) from exc


def business_date_extra(business_date: date, **more: str) -> dict:
    """The extra a producer puts on the asset events it emits."""
    return {BUSINESS_DATE_KEY: business_date.isoformat(), **more}


def trigger_of(params, triggering_asset_events, default: str) -> str:
    """Why the run started: the ``trigger`` param, else the one a producer wrote into the
    triggering events (e.g. ``drift``), else ``default``."""
    if params and params.get(names.TRIGGER_KEY):
        return params[names.TRIGGER_KEY]
    for events in (triggering_asset_events or {}).values():
        for event in events:
            if (event.extra or {}).get(names.TRIGGER_KEY):
                return event.extra[names.TRIGGER_KEY]
    return default


def business_date_of(params, triggering_asset_events, data_interval_start=None) -> date:
    """The business date of a run: a ``business_date`` param wins; otherwise the latest
    business date carried by the triggering asset events; otherwise, for a DAG on a
    data-interval timetable, the start of the run's interval (``[D, D+1)`` is day D).

    Raises:
        ValueError: none of them says which date to run.
    """
    if params and params.get(BUSINESS_DATE_KEY):
        return date.fromisoformat(params[BUSINESS_DATE_KEY])
    dates = [
        date.fromisoformat(event.extra[BUSINESS_DATE_KEY])
        for events in (triggering_asset_events or {}).values()
        for event in events
        if (event.extra or {}).get(BUSINESS_DATE_KEY)
    ]
    if dates:
        return max(dates)
    if data_interval_start is not None:
        return data_interval_start.date()
    raise ValueError(
        "No business date: trigger this DAG with the param business_date=YYYY-MM-DD, "
        "or let the warehouse build's asset events (which carry it) trigger it."
    )


def business_date() -> date:
    """The business date of the running task's DAG run (:func:`business_date_of`), the same
    way in every DAG. Only a DAG on a data-interval timetable (the nightly warehouse build)
    falls back to its interval: an asset-scheduled run's interval spans its events' times,
    which say nothing about the business day."""
    from airflow.sdk import CronDataIntervalTimetable, get_current_context

    context = get_current_context()
    interval = isinstance(context["dag"].timetable, CronDataIntervalTimetable)
    return business_date_of(
        context.get("params"),
        context.get("triggering_asset_events"),
        context.get("data_interval_start") if interval else None,
    )


def trigger(default: str) -> str:
    """Why the running task's DAG run started (:func:`trigger_of`)."""
    from airflow.sdk import get_current_context

    context = get_current_context()
    return trigger_of(context.get("params"), context.get("triggering_asset_events"), default)
