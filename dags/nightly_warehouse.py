"""
### nightly_warehouse

Builds the warehouse for one business date, behind a data-quality gate:

1. **ingest_deliveries**: bulk-loads the landing zone's new deliveries (dated on or
   before the business date) into `raw`; re-ingesting a file changes nothing. Rows that
   break a row rule (expectations/raw/) go to `quarantine.<table>` with the rule; a file
   that cannot be taken as a whole is recorded `rejected` and not loaded.
2. **check_deliveries**: Great Expectations validates what each table's deliveries
   came to; a table-level failure (a rejected file, counts that do not reconcile)
   stops the night here, before anything is built. Logs where the Data Docs are.
3. **build_warehouse**: `dbt build` turns raw into staging, intermediate and marts,
   and runs every data test and unit test; then GX validates the marts models read
   (expectations/marts/). Emits one Asset per mart only if both pass, so training,
   scoring, forecasting and drift DAGs never start on data that failed validation.
4. **publish_warehouse**: the publish guard (a night whose marts or deliveries fall
   far short of the last published night stops here, naming the table and both counts),
   then records the warehouse stage as done. The night is published (a read-only copy of
   the BI schemas swapped in atomically, the run marked `success`) only when its lead
   scores and forecasts are done too: whichever nightly DAG finishes last publishes.
5. **record_run** (teardown, runs whatever happened): a run whose warehouse stage did not
   finish is recorded `failed` in `monitoring.pipeline_runs`.

The business date is the run's data interval: `[D 00:00, D+1 00:00)` UTC, so the run
for business date D has logical date D+1, the moment the day closed.
`salespipe run --date D` runs it through `airflow dags test`.
"""

from datetime import timedelta

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task, teardown
from salespipe_assets import MART_ASSETS, PUBLISHED_WAREHOUSE, WAREHOUSE_POOL, business_date_extra


@dag(
    dag_id="nightly_warehouse",
    # A data-interval timetable, deliberately: the plain cron timetable of Airflow 3 has
    # no data interval, and the interval is what says which business date a run is for.
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    # Far back on purpose: Airflow creates no task for a run dated before start_date,
    # and a CRM export can be years old (the Maven sample ends in 2017).
    start_date=pendulum.datetime(2000, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["salespipe", "warehouse", "nightly"],
    default_args={
        "owner": "data-engineering",
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
        "pool": WAREHOUSE_POOL,
    },
)
def nightly_warehouse():
    @task
    def ingest_deliveries(data_interval_start=None) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from ml.warehouse.steps import NoDeliveriesError, ingest_deliveries

        try:
            summary = ingest_deliveries(data_interval_start.date())
        except NoDeliveriesError as exc:
            raise AirflowFailException(str(exc)) from exc  # retrying cannot help
        return {
            "files_loaded": len(summary.loaded),
            "files_rejected": len(summary.rejected),
            "rows_loaded": summary.rows_loaded,
            "rows_quarantined": summary.rows_quarantined,
        }

    @task
    def check_deliveries(data_interval_start=None) -> str:
        from airflow.sdk.exceptions import AirflowFailException

        from ml.warehouse.gate import QualityGateError, check_deliveries

        try:
            return str(check_deliveries(data_interval_start.date()).data_docs)
        except QualityGateError as exc:
            # The verdict stands until the data changes: retrying cannot help.
            raise AirflowFailException(str(exc)) from exc

    @task(outlets=list(MART_ASSETS.values()))
    def build_warehouse(data_interval_start=None, outlet_events=None) -> None:
        from airflow.sdk.exceptions import AirflowFailException

        from ml.warehouse.gate import QualityGateError
        from ml.warehouse.steps import build_warehouse

        try:
            build_warehouse(data_interval_start.date())
        except QualityGateError as exc:
            raise AirflowFailException(str(exc)) from exc
        # Asset-scheduled DAGs have no data interval: the events tell them the date.
        for asset in MART_ASSETS.values():
            outlet_events[asset].extra = business_date_extra(data_interval_start.date())

    @task(outlets=[PUBLISHED_WAREHOUSE])
    def publish_warehouse(data_interval_start=None, outlet_events=None) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from ml.warehouse.guard import PublishGuardError
        from ml.warehouse.steps import publish_for_readers

        try:
            published = publish_for_readers(data_interval_start.date())
        except PublishGuardError as exc:
            raise AirflowFailException(str(exc)) from exc
        outlet_events[PUBLISHED_WAREHOUSE].extra = business_date_extra(data_interval_start.date())
        return published.row_counts if published else {}

    @teardown
    def record_run(data_interval_start=None) -> str | None:
        from ml.warehouse.gate import record_run_outcome

        return record_run_outcome(data_interval_start.date())

    (
        ingest_deliveries()
        >> check_deliveries()
        >> build_warehouse()
        >> publish_warehouse()
        >> record_run()
    )


nightly_warehouse()
