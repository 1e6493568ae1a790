"""The nightly warehouse steps, as the DAG calls them: each one does its own I/O.

Every step takes the business date from the DAG run; nothing here asks the clock
what day it is.
"""

from __future__ import annotations

import logging
from datetime import date

import duckdb

from ml.settings import Settings, load_settings
from ml.warehouse.ingest import IngestSummary, ingest_landing_zone
from ml.warehouse.publish import PublishedWarehouse, publish_warehouse
from ml.warehouse.transform import run_dbt_build

log = logging.getLogger(__name__)


def ingest_deliveries(business_date: date, settings: Settings | None = None) -> IngestSummary:
    """Load the deliveries dated on or before ``business_date`` into ``raw``."""
    settings = settings or load_settings()
    settings.work_warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        summary = ingest_landing_zone(con, settings.landing, up_to=business_date, progress=log.info)
    log.info(
        "ingest %s: %d files loaded, %d replaced, %d repeated deliveries, %d unchanged, %s rows",
        business_date,
        len(summary.loaded),
        len(summary.replaced),
        len(summary.duplicates),
        summary.unchanged,
        f"{summary.total_rows:,}",
    )
    for path, reason in summary.skipped:
        log.warning("ingest skipped %s: %s", path, reason)
    return summary


def build_warehouse(business_date: date, settings: Settings | None = None) -> None:
    """Run dbt build (staging, intermediate, marts and all tests) for ``business_date``."""
    run_dbt_build(settings or load_settings(), business_date, progress=log.info)


def publish_for_readers(
    business_date: date, settings: Settings | None = None
) -> PublishedWarehouse:
    """Swap in a fresh read-only copy of the BI schemas; see :mod:`ml.warehouse.publish`."""
    settings = settings or load_settings()
    published = publish_warehouse(settings.work_warehouse, settings.warehouse, business_date)
    log.info("published %s (%d tables)", published.path, len(published.row_counts))
    return published
