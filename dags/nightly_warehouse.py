"""
### nightly_warehouse

Builds the warehouse for one business date:

1. **ingest_deliveries**: bulk-loads the landing zone's new deliveries (dated on or
   before the business date) into `raw`; re-ingesting a file changes nothing.
2. **build_warehouse**: `dbt build` turns raw into staging, intermediate and marts,
   and runs every data test and unit test. Emits one Asset per mart, so training,
   scoring, forecasting and drift DAGs can be scheduled on them.
3. **publish_warehouse**: swaps in a read-only copy of the BI schemas atomically.

The business date is the run's data interval: `[D 00:00, D+1 00:00)` UTC, so the run
for business date D has logical date D+1, the moment the day closed.
`salespipe run --date D` runs it through `airflow dags test`.
"""

from datetime import timedelta

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task
from salespipe_assets import MART_ASSETS, PUBLISHED_WAREHOUSE


@dag(
    dag_id="nightly_warehouse",
    # A data-interval timetable, deliberately: the plain cron timetable of Airflow 3 has
    # no data interval, and the interval is what says which business date a run is for.
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["salespipe", "warehouse", "nightly"],
    default_args={
        "owner": "data-engineering",
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
    },
)
def nightly_warehouse():
    @task
    def ingest_deliveries(data_interval_start=None) -> dict:
        from ml.warehouse.steps import ingest_deliveries

        summary = ingest_deliveries(data_interval_start.date())
        return {"files_loaded": len(summary.loaded), "rows_loaded": summary.rows_loaded}

    @task(outlets=list(MART_ASSETS.values()))
    def build_warehouse(data_interval_start=None) -> None:
        from ml.warehouse.steps import build_warehouse

        build_warehouse(data_interval_start.date())

    @task(outlets=[PUBLISHED_WAREHOUSE])
    def publish_warehouse(data_interval_start=None) -> dict:
        from ml.warehouse.steps import publish_for_readers

        return publish_for_readers(data_interval_start.date()).row_counts

    ingest_deliveries() >> build_warehouse() >> publish_warehouse()


nightly_warehouse()
