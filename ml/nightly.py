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
import logging
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from ml import names
from ml.airflow_cli import AirflowRunError, migrate_metadata_db, run_dag_for_date, task_states
from ml.run_lock import RunLock, hold_run_lock, new_run_id
from ml.settings import Settings

log = logging.getLogger(__name__)

# (dag id, scheduled on assets: needs the business date as a param)
NIGHTLY_DAGS: tuple[tuple[str, bool], ...] = (
    (names.NIGHTLY_WAREHOUSE_DAG, False),
    (names.NIGHTLY_LEAD_SCORING_DAG, True),
    (names.NIGHTLY_OPPORTUNITY_SCORING_DAG, True),
    (names.NIGHTLY_REVENUE_FORECAST_DAG, True),
)

# The stage each nightly DAG records when its work is done (ml.warehouse.runs).
DAG_STAGES = {
    names.NIGHTLY_WAREHOUSE_DAG: "warehouse",
    names.NIGHTLY_LEAD_SCORING_DAG: names.LEAD_SCORING,
    names.NIGHTLY_OPPORTUNITY_SCORING_DAG: names.OPPORTUNITY_SCORING,
    names.NIGHTLY_REVENUE_FORECAST_DAG: names.REVENUE_FORECAST,
}

# Nightly tasks whose success emits an Asset a DAG outside the nightly sequence is
# scheduled on (dags/salespipe_assets.py): (DAG, task) -> (DAG started, its trigger).
ASSET_PRODUCERS = {
    (names.NIGHTLY_LEAD_SCORING_DAG, "request_lead_model_retraining"): (
        names.LEAD_TRAINING_DAG,
        names.DRIFT_TRIGGER,
    ),
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


def run_training(
    settings: Settings,
    dag_id: str,
    business_date: date,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Run the on-demand training DAG ``dag_id`` as of ``business_date`` through Airflow.

    A training writes the same stores as a night, so it holds the run lock too.

    Raises:
        RunLockedError: another run holds this install.
        AirflowRunError: the DAG failed.
    """
    with hold_run_lock(settings, business_date, new_run_id(business_date)) as lock:
        migrate_metadata_db(settings)
        log_file = lock.log_dir / f"{dag_id}.log"
        log.info("Running DAG %s for %s (log: %s) ...", dag_id, business_date, log_file)
        run_dag_for_date(
            settings,
            dag_id,
            business_date,
            log_file=log_file,
            progress=progress,
            conf={names.BUSINESS_DATE_KEY: business_date.isoformat()},
            pass_fds=(lock.fd,),
        )


def _run_dags(
    settings: Settings,
    business_date: date,
    lock: RunLock,
    progress: Callable[[str], None] | None,
) -> None:
    started = time.monotonic()
    log.info("Preparing Airflow's metadata database in %s ...", settings.airflow_home)
    migrate_metadata_db(settings)
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
    for dag_id, trigger in _asset_requests(settings, business_date):
        log.info("%s was requested by tonight's run (%s); running it ...", dag_id, trigger)
        run_dag_for_date(
            settings,
            dag_id,
            business_date,
            log_file=lock.log_dir / f"{dag_id}.log",
            progress=progress,
            conf={names.BUSINESS_DATE_KEY: business_date.isoformat(), names.TRIGGER_KEY: trigger},
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


def _asset_requests(settings: Settings, business_date: date) -> list[tuple[str, str]]:
    """(DAG, trigger) for each DAG an Asset emitted tonight is to start: the producing
    task succeeded (a short-circuited one is skipped, and emitted nothing).

    Read with Airflow's own CLI, not its database: Airflow 3.3's CLI lists no asset
    events (``airflow assets`` offers list, details and materialize), and the REST API's
    ``/api/v2/assets/events`` needs a running API server, which ``airflow dags test``
    does without. ``airflow tasks states-for-dag-run`` reads the metadata database
    itself. The event's extra needs no reading: the producer writes tonight's business
    date and the trigger named here (ml/names.py).
    """
    requests = {}
    for (producer, task_id), (dag_id, trigger) in ASSET_PRODUCERS.items():
        if task_states(settings, producer, business_date).get(task_id) == "success":
            requests[dag_id] = trigger
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
