"""
### nightly_warehouse

Builds the warehouse for one business date, behind a data-quality gate:

1. **ingest_deliveries**: loads the landing zone's new deliveries (dated on or before
   the business date) into `raw`; re-ingesting a file changes nothing. Rows that break a
   row rule (expectations/raw/) go to `quarantine.<table>`; a file that cannot be taken
   as a whole is recorded `rejected`.
2. **check_deliveries**: Great Expectations validates each table's deliveries; a
   table-level failure (a rejected file, counts that do not reconcile) stops the night.
3. **build_warehouse**: `dbt build` (staging, intermediate, marts, every data and unit
   test), then GX validates the marts models read (expectations/marts/). Emits one
   Asset per mart only if both pass: no model DAG starts on data that failed.
4. **publish_warehouse**: the publish guard (a night far short of the last published
   one stops here, naming the table and both counts), then records the warehouse stage.
   Whichever nightly DAG finishes last publishes the night (a read-only copy of the BI
   schemas swapped in atomically, the run marked `success`).
5. **record_run** (teardown): a run whose warehouse stage did not finish is recorded
   `failed` in `monitoring.pipeline_runs`.

The business date D is the run's data interval `[D, D+1)` UTC (logical date D+1, when
the day closed). `salespipe run --date D` runs it through `airflow dags test`.
"""

from airflow.sdk import CronDataIntervalTimetable, task, teardown
from salespipe_assets import (
    MART_ASSETS,
    PUBLISHED_WAREHOUSE,
    business_date,
    business_date_extra,
    names,
    no_retry_on,
    salespipe_dag,
)


# A data-interval timetable, deliberately: the plain cron timetable of Airflow 3 has no
# data interval, and the interval is what says which business date a run is for.
@salespipe_dag(
    names.NIGHTLY_WAREHOUSE_DAG,
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    doc_md=__doc__,
    tags=["warehouse", "nightly"],
    owner="data-engineering",
    retries=2,
)
def nightly_warehouse():
    @task
    def ingest_deliveries() -> dict:
        from ml.warehouse.steps import NoDeliveriesError, ingest_deliveries

        with no_retry_on(NoDeliveriesError):  # a wrong date: retrying cannot help
            summary = ingest_deliveries(business_date())
        return {
            "files_loaded": len(summary.loaded),
            "files_rejected": len(summary.rejected),
            "rows_loaded": summary.rows_loaded,
            "rows_quarantined": summary.rows_quarantined,
        }

    @task
    def check_deliveries() -> str:
        from ml.warehouse.gate import QualityGateError, check_deliveries

        with no_retry_on(QualityGateError):  # the verdict stands until the data changes
            return str(check_deliveries(business_date()).data_docs)

    @task(outlets=list(MART_ASSETS.values()))
    def build_warehouse(outlet_events=None) -> None:
        from ml.warehouse.gate import QualityGateError
        from ml.warehouse.steps import build_warehouse

        with no_retry_on(QualityGateError):
            build_warehouse(business_date())
        # Asset-scheduled DAGs have no business day of their own: the events tell them.
        for asset in MART_ASSETS.values():
            outlet_events[asset].extra = business_date_extra(business_date())

    @task(outlets=[PUBLISHED_WAREHOUSE])
    def publish_warehouse(outlet_events=None) -> dict:
        from ml.warehouse.guard import PublishGuardError
        from ml.warehouse.steps import publish_for_readers

        with no_retry_on(PublishGuardError):
            published = publish_for_readers(business_date())
        outlet_events[PUBLISHED_WAREHOUSE].extra = business_date_extra(business_date())
        return published.row_counts if published else {}

    @teardown
    def record_run() -> str | None:
        from ml.warehouse.gate import record_run_outcome

        return record_run_outcome(business_date())

    built = ingest_deliveries() >> check_deliveries() >> build_warehouse()
    built >> publish_warehouse() >> record_run()


nightly_warehouse()
