"""The nightly warehouse steps, as the DAG calls them: each one does its own I/O.

Every step takes the business date from the DAG run; nothing here asks the clock
what day it is.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import duckdb

from ml.audit import load_audit_log
from ml.privacy.suppression import use_pii_key
from ml.quality import monitoring
from ml.quality.steps import validate_marts
from ml.settings import Settings, load_settings
from ml.warehouse.ingest import IngestSummary, ingest_landing_zone
from ml.warehouse.publish import PublishedWarehouse, publish_warehouse
from ml.warehouse.transform import run_dbt_build

log = logging.getLogger(__name__)


def ingest_deliveries(business_date: date, settings: Settings | None = None) -> IngestSummary:
    """Load the deliveries dated on or before ``business_date`` into ``raw``.

    Starts the run's row in ``monitoring.pipeline_runs`` (status running) and records
    what was delivered, loaded, quarantined and rejected, per table. Rows breaking a
    row rule are quarantined here; rejected files stop the run at the next step
    (``ml.quality.steps.check_deliveries``), not here, so that everything else is loaded.
    """
    settings = settings or load_settings()
    settings.work_warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        use_pii_key(con, settings.pii_key())  # to hold back erased people (ml.privacy)
        monitoring.start_run(con, business_date, datetime.now(UTC))
        summary = ingest_landing_zone(con, settings.landing, up_to=business_date, progress=log.info)
        monitoring.record_counts(con, business_date)
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


def build_warehouse(business_date: date, settings: Settings | None = None) -> None:
    """Run dbt build (staging, intermediate, marts and all tests) for ``business_date``,
    then validate the marts models read (expectations/marts/).

    Raises:
        DbtBuildError: dbt failed.
        QualityGateError: a mart failed its suite; no model may read it.
    """
    settings = settings or load_settings()
    run_dbt_build(settings, business_date, progress=log.info)
    validate_marts(business_date, settings)


def publish_for_readers(
    business_date: date, settings: Settings | None = None
) -> PublishedWarehouse:
    """Swap in a fresh read-only copy of the BI schemas; see :mod:`ml.warehouse.publish`.

    The run is marked successful in ``monitoring.pipeline_runs`` first, so that the
    published copy carries its own night's row; if publishing fails, it is marked failed.
    """
    settings = settings or load_settings()
    with duckdb.connect(str(settings.work_warehouse)) as con:
        monitoring.finish_run(con, business_date, monitoring.SUCCESS, datetime.now(UTC))
        load_audit_log(con, settings)  # monitoring.audit_log, published with the rest
    try:
        published = publish_warehouse(settings.work_warehouse, settings.warehouse, business_date)
    except Exception as exc:
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
) -> PublishedWarehouse:
    """Publish again after a later stage of the night (scores, forecasts, monitoring)
    wrote to the working warehouse; ``monitoring.pipeline_runs`` is left as it is."""
    settings = settings or load_settings()
    with duckdb.connect(str(settings.work_warehouse)) as con:
        load_audit_log(con, settings)
    published = publish_warehouse(settings.work_warehouse, settings.warehouse, business_date)
    log.info("republished %s (%d tables)", published.path, len(published.row_counts))
    return published
