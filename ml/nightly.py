"""One night, as ``salespipe run --date D`` runs it: every nightly DAG, in order,
through Airflow (``airflow dags test``), on this install's embedded state.

Under a scheduler the DAGs after the first start on the Assets the warehouse build
emits; ``airflow dags test`` starts no downstream DAG, so here they are run one after
the other, each told the business date as a param. Likewise, when a night emits an
Asset that a DAG outside the nightly sequence is scheduled on (the drift monitor asking
for retraining), that DAG is run next, with the business date and trigger the event
carried, as the scheduler would start it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from ml.airflow_cli import AirflowRunError, migrate_metadata_db, run_dag_for_date
from ml.run_lock import RunLock, hold_run_lock, new_run_id
from ml.settings import Settings

log = logging.getLogger(__name__)

# (dag id, scheduled on assets: needs the business date as a param)
NIGHTLY_DAGS: tuple[tuple[str, bool], ...] = (
    ("nightly_warehouse", False),
    ("nightly_lead_scoring", True),
    ("nightly_revenue_forecast", True),
)

# The stage each nightly DAG records when its work is done (ml.warehouse.runs).
DAG_STAGES = {
    "nightly_warehouse": "warehouse",
    "nightly_lead_scoring": "lead_scoring",
    "nightly_revenue_forecast": "revenue_forecast",
}

# Assets a night may emit -> the DAG scheduled on each (dags/salespipe_assets.py).
ASSET_SCHEDULED_DAGS = {
    "mlflow://models/lead_scoring/retraining_requested": "on_demand_lead_model_training",
}


def run_night(
    settings: Settings, business_date: date, progress: Callable[[str], None] | None = None
) -> None:
    """Run every nightly DAG for ``business_date``, stopping at the first failure.

    Holds the install's run lock throughout (:mod:`ml.run_lock`); each run logs to its
    own folder, ``<home>/logs/runs/<run id>/<dag>.log``.

    Raises:
        RunLockedError: another run holds this install.
        AirflowRunError: a DAG failed, or Airflow ran no task, or the night was not
            published (the published warehouse keeps the last complete night).
    """
    run_id = new_run_id(business_date)
    settings = dataclasses.replace(settings, run_id=run_id)  # named by the publication
    with hold_run_lock(settings, business_date, run_id) as lock:
        log.info("Run %s (logs: %s)", run_id, lock.log_dir)
        try:
            _run_dags(settings, business_date, lock, progress)
        except AirflowRunError as exc:
            _record_failure(settings, business_date, str(exc).splitlines()[0])
            raise


def _run_dags(
    settings: Settings,
    business_date: date,
    lock: RunLock,
    progress: Callable[[str], None] | None,
) -> None:
    started = time.monotonic()
    log.info("Preparing Airflow's metadata database in %s ...", settings.airflow_home)
    migrate_metadata_db(settings)
    seen_events = _last_asset_event_id(settings)
    for dag_id, asset_scheduled in NIGHTLY_DAGS:
        log_file = lock.log_dir / f"{dag_id}.log"
        log.info(
            "Running DAG %s for %s through Airflow (log: %s) ...", dag_id, business_date, log_file
        )
        run_dag_for_date(
            settings,
            dag_id,
            business_date,
            log_file=log_file,
            progress=progress,
            conf={"business_date": business_date.isoformat()} if asset_scheduled else None,
            pass_fds=(lock.fd,),
        )
        # Airflow marks a run successful when it had no task to run (a date before the
        # DAG's start_date, say): only the stage the DAG records says it happened.
        if DAG_STAGES[dag_id] not in _stages_done(settings, business_date):
            raise AirflowRunError(
                f"Airflow reported {dag_id} for {business_date} as done, but its stage "
                f"({DAG_STAGES[dag_id]}) is not recorded: no task ran. See {log_file}."
            )
    published = published_business_date(settings)
    if published != business_date:
        raise AirflowRunError(
            f"Every DAG of {business_date} finished, but the published warehouse shows "
            f"{published or 'nothing'}. See the logs in {lock.log_dir}."
        )
    for dag_id, extra in _asset_requests(settings, seen_events):
        log.info("%s was requested by tonight's run (%s); running it ...", dag_id, extra)
        run_dag_for_date(
            settings,
            dag_id,
            date.fromisoformat(extra.get("business_date", business_date.isoformat())),
            log_file=lock.log_dir / f"{dag_id}.log",
            progress=progress,
            conf={k: extra[k] for k in ("business_date", "trigger") if k in extra},
            pass_fds=(lock.fd,),
        )
    log.info("Nightly run for %s finished in %.0f s.", business_date, time.monotonic() - started)


def _stages_done(settings: Settings, business_date: date) -> set[str]:
    import duckdb

    from ml.warehouse import runs as monitoring

    if not settings.work_warehouse.exists():
        return set()
    with duckdb.connect(str(settings.work_warehouse)) as con:
        return monitoring.stages_done(con, business_date)


def _record_failure(settings: Settings, business_date: date, message: str) -> None:
    """A run that stopped without a verdict (a killed Airflow process) is recorded failed."""
    import duckdb

    from ml.warehouse import runs as monitoring

    if not settings.work_warehouse.exists():
        return
    try:
        with duckdb.connect(str(settings.work_warehouse)) as con:
            monitoring.finish_run(
                con, business_date, monitoring.FAILED, datetime.now(UTC),
                only_if_running=True, message=message,
            )  # fmt: skip
    except duckdb.Error as exc:  # an orphaned Airflow process still holds the file
        log.warning("could not record the failed run in the working warehouse: %s", exc)


def _airflow_db(settings: Settings) -> sqlite3.Connection:
    return sqlite3.connect(settings.airflow_home / "airflow.db")


def _last_asset_event_id(settings: Settings) -> int:
    with _airflow_db(settings) as db:
        return db.execute("select coalesce(max(id), 0) from asset_event").fetchone()[0]


def _asset_requests(settings: Settings, after_event_id: int) -> list[tuple[str, dict]]:
    """(DAG, event extra) for each event after ``after_event_id`` on an asset in
    :data:`ASSET_SCHEDULED_DAGS`, one per DAG (the latest)."""
    with _airflow_db(settings) as db:
        rows = db.execute(
            "select asset.uri, asset_event.extra from asset_event "
            "join asset on asset.id = asset_event.asset_id "
            "where asset_event.id > ? order by asset_event.id",
            [after_event_id],
        ).fetchall()
    requests = {
        ASSET_SCHEDULED_DAGS[uri]: json.loads(extra or "{}")
        for uri, extra in rows
        if uri in ASSET_SCHEDULED_DAGS
    }
    return list(requests.items())


def published_business_date(settings: Settings) -> date | None:
    """The business date of the published warehouse BI tools read (None before the first).

    Read from the publication's manifest, which a BI tool holding the file cannot lock.
    """
    import duckdb

    from ml.warehouse.publish import read_manifest

    manifest = read_manifest(settings.warehouse)
    if manifest is not None:
        return date.fromisoformat(manifest["business_date"])
    if not settings.warehouse.exists():
        return None
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute("select business_date from meta.publication").fetchone()[0]
