"""The nightly warehouse steps, as the DAG calls them: each one does its own I/O.

Every step takes the business date from the DAG run; nothing here asks the clock
what day it is.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from ml.audit import load_audit_log
from ml.faults import kill_point
from ml.privacy.suppression import use_pii_key
from ml.settings import Settings, load_settings
from ml.warehouse import runs as monitoring
from ml.warehouse.gate import validate_marts
from ml.warehouse.guard import check_against_last_night, guard_counts
from ml.warehouse.ingest import IngestSummary, ingest_landing_zone
from ml.warehouse.landing import scan_landing_zone
from ml.warehouse.publish import PublishedWarehouse, publish_warehouse, read_manifest
from ml.warehouse.summary import NightSummary, read_night_summary, recorded_failure
from ml.warehouse.transform import run_dbt_build

log = logging.getLogger(__name__)


class NoDeliveriesError(RuntimeError):
    """The landing zone holds no delivery dated on or before the business date."""


class NightIncompleteError(RuntimeError):
    """A stage of the night did not finish, so the night is not published."""


def ingest_deliveries(business_date: date, settings: Settings | None = None) -> IngestSummary:
    """Load the deliveries dated on or before ``business_date`` into ``raw``.

    Raises:
        NoDeliveriesError: the landing zone has no delivery dated on or before the date
            (a wrong ``--date``); said at once, and the run is recorded failed.

    Starts the run's row in ``monitoring.pipeline_runs`` (status running) and records
    what was delivered, loaded, quarantined and rejected, per table. Rows breaking a
    row rule are quarantined here; rejected files stop the run at the next step
    (``ml.warehouse.gate.check_deliveries``), not here, so that everything else is loaded.
    """
    settings = settings or load_settings()
    settings.work_warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        use_pii_key(con, settings.pii_key())  # to hold back erased people (ml.privacy)
        monitoring.start_run(con, business_date, datetime.now(UTC))
        problem = _no_deliveries(settings, business_date)
        if problem:
            monitoring.finish_run(
                con, business_date, monitoring.FAILED, datetime.now(UTC), message=problem
            )
            raise NoDeliveriesError(problem)
        summary = ingest_landing_zone(con, settings.landing, up_to=business_date, progress=log.info)
        monitoring.record_counts(con, business_date)
        monitoring.note_skipped(con, business_date, summary.skipped)
    kill_point("ingest:done")
    log.info(
        "ingest %s: %d files loaded, %d replaced, %d repeated deliveries, %d rejected, "
        "%d unchanged; %s rows loaded, %s quarantined (row checks %.1f s)",
        business_date,
        len(summary.loaded),
        len(summary.replaced),
        len(summary.duplicates),
        len(summary.rejected),
        summary.unchanged,
        f"{summary.total_rows:,}",
        f"{sum(summary.rows_quarantined.values()):,}",
        summary.check_seconds,
    )
    for path, reason in summary.skipped:
        log.warning("ingest skipped %s: %s", path, reason)
    return summary


def ingest_landing(
    landing: Path, up_to: date | None = None, settings: Settings | None = None, progress=log.info
) -> IngestSummary:
    """``salespipe ingest``: load ``landing`` (deliveries up to ``up_to``, or all of them)
    into ``raw`` and record, per table, what the deliveries of the ingest's business date
    came to (``monitoring.pipeline_run_tables``). It starts no night: a run's row is the
    nightly DAG's to start, and a night left ``running`` would hold back republishing."""
    settings = settings or load_settings()
    settings.work_warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        use_pii_key(con, settings.pii_key())  # to hold back erased people (ml.privacy)
        summary = ingest_landing_zone(con, landing, up_to=up_to, progress=progress)
        if summary.business_date is not None:
            monitoring.record_counts(con, summary.business_date)
            monitoring.note_skipped(con, summary.business_date, summary.skipped)
    return summary


def night_summary(settings: Settings | None = None) -> NightSummary:
    """What the published warehouse holds, read in one connection (``salespipe run``)."""
    return read_night_summary((settings or load_settings()).warehouse)


def failure_of(business_date: date, settings: Settings | None = None) -> str | None:
    """Why ``business_date``'s run failed, as the run recorded it (None: no failure kept)."""
    return recorded_failure((settings or load_settings()).work_warehouse, business_date)


def build_warehouse(business_date: date, settings: Settings | None = None) -> None:
    """Run dbt build (staging, intermediate, marts and all tests) for ``business_date``,
    then validate the marts models read (expectations/marts/).

    Raises:
        DbtBuildError: dbt failed.
        QualityGateError: a mart failed its suite; no model may read it.
    """
    settings = settings or load_settings()
    run_dbt_build(settings, business_date, progress=log.info)
    kill_point("build:dbt_done")
    validate_marts(business_date, settings)


def _no_deliveries(settings: Settings, business_date: date) -> str | None:
    """Why the night cannot start for lack of deliveries, or None when there are some."""
    scan = scan_landing_zone(settings.landing)
    dates = sorted({f.delivery_date for f in scan.files})
    if dates and dates[0] <= business_date:
        return None
    if not dates:
        return (
            f"No deliveries at all in {settings.landing}: nothing to build for {business_date}. "
            "Expected <landing>/<table>/<YYYY-MM-DD>/*.csv."
        )
    return (
        f"No deliveries dated on or before {business_date} in {settings.landing}: the "
        f"earliest delivery is dated {dates[0]} (the latest {dates[-1]}). Check the --date "
        "you gave; a night can only be built from deliveries up to its business date."
    )


def publish_for_readers(
    business_date: date, settings: Settings | None = None
) -> PublishedWarehouse | None:
    """The warehouse stage is done: check the publish guard, record the stage, and publish
    if the rest of the night is done too (see :func:`publish_night_if_complete`).

    Raises:
        PublishGuardError: the night falls far short of the last published one (the run
            is recorded failed; nothing is published).
    """
    settings = settings or load_settings()
    last = read_manifest(settings.warehouse)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        counts = guard_counts(con, business_date)
        try:
            short = check_against_last_night(
                counts, business_date, last, force=settings.force_publish
            )
        except Exception as exc:
            monitoring.finish_run(
                con, business_date, monitoring.FAILED, datetime.now(UTC), message=str(exc)
            )
            raise
        for line in short:
            log.warning("publish guard overridden (--force-publish): %s", line)
        monitoring.record_stage(con, business_date, monitoring.WAREHOUSE_STAGE, datetime.now(UTC))
    return publish_night_if_complete(business_date, monitoring.WAREHOUSE_STAGE, settings)


def finish_stage(business_date: date, stage: str, settings: Settings | None = None) -> None:
    """Record that ``stage`` of ``business_date``'s night finished (its rows are written)."""
    settings = settings or load_settings()
    with duckdb.connect(str(settings.work_warehouse)) as con:
        monitoring.record_stage(con, business_date, stage, datetime.now(UTC))


def publish_night_if_complete(
    business_date: date, stage: str, settings: Settings | None = None
) -> PublishedWarehouse | None:
    """Publish ``business_date``'s night if every stage of it finished; the last stage to
    finish publishes. Called at the end of each nightly DAG (``stage`` is its own).

    The run is ``success`` in the published copy and, once the swap is done, in the
    working file; if the copy fails it is marked ``failed``, and a publish killed before
    the swap leaves it ``running`` (the next run marks it interrupted). Returns what was
    published, or None while other stages are still to come.

    Raises:
        NightIncompleteError: ``stage`` itself did not finish, or the working file has
            moved on to another night; the run is recorded ``failed`` and nothing published.
    """
    settings = settings or load_settings()
    now = datetime.now(UTC)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        done = monitoring.stages_done(con, business_date)
        night = monitoring.working_night(con)
        problem = None
        if stage not in done:
            problem = f"the {stage} stage did not finish; the night is not published"
        elif night is None or night[0] != business_date:
            problem = (
                f"the working warehouse has moved on to {night[0] if night else 'nothing'}; "
                f"the night of {business_date} is not published"
            )
        if problem:
            monitoring.finish_run(con, business_date, monitoring.FAILED, now, message=problem)
            raise NightIncompleteError(f"{business_date}: {problem}. See the task log.")
        missing = [s for s in monitoring.NIGHT_STAGES if s not in done]
        if missing:
            log.info(
                "%s: %s finished; publishing when %s finish", business_date, stage,
                ", ".join(missing),
            )  # fmt: skip
            return None
        counts = guard_counts(con, business_date)
        # Said on the run's row (and so in the published copy): a stage it skipped, and why.
        monitoring.note_message(
            con, business_date, "; ".join(monitoring.skipped_stages(con, business_date))
        )
        load_audit_log(con, settings)  # monitoring.audit_log, published with the rest
    return _publish(business_date, settings, counts)


def _publish(business_date: date, settings: Settings, counts: dict[str, int]) -> PublishedWarehouse:
    """Publish the night; its run is ``success`` in the copy, then in the working file."""
    now = datetime.now(UTC)
    try:
        published = publish_warehouse(
            settings.work_warehouse, settings.warehouse, business_date,
            run_id=settings.run_id, guard_counts=counts, finished_at=now,
        )  # fmt: skip
        with duckdb.connect(str(settings.work_warehouse)) as con:
            monitoring.finish_run(con, business_date, monitoring.SUCCESS, now)
    except BaseException as exc:
        with duckdb.connect(str(settings.work_warehouse)) as con:
            monitoring.finish_run(
                con,
                business_date,
                monitoring.FAILED,
                datetime.now(UTC),
                message=f"publishing failed: {exc}",
            )
        raise
    log.info("published %s (%d tables)", published.path, len(published.row_counts))
    return published


def republish_for_readers(
    business_date: date, settings: Settings | None = None
) -> PublishedWarehouse | None:
    """Publish again after something outside a night (an on-demand training, a rollback)
    wrote to the working warehouse, so ``monitoring.model_promotions`` shows it.

    Only a working file that holds a complete night is published (as that night, whatever
    ``business_date`` the caller had in mind): while a night is in progress, or after one
    failed, the published night stays as it is and picks the change up when the next
    night publishes. Returns None then.
    """
    settings = settings or load_settings()
    with duckdb.connect(str(settings.work_warehouse)) as con:
        night = monitoring.working_night(con)
        counts = guard_counts(con, night[0]) if night else {}
        load_audit_log(con, settings)
    if night is None or night[1] != monitoring.SUCCESS:
        log.warning(
            "not republished: the working warehouse holds %s (%s), not a complete night; "
            "the change shows when the next night publishes",
            night[0] if night else "no night", night[1] if night else "-",
        )  # fmt: skip
        return None
    if night[0] != business_date:
        log.info("republishing the working night %s (asked for %s)", night[0], business_date)
    published = publish_warehouse(
        settings.work_warehouse, settings.warehouse, night[0], guard_counts=counts
    )
    log.info("republished %s (%d tables)", published.path, len(published.row_counts))
    return published
