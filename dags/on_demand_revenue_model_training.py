"""
### on_demand_revenue_model_training

Trains a new revenue forecaster now, outside its cadence (every 28 days by default):
triggered in the Airflow UI with a `business_date` param, or by
`salespipe models train revenue_forecast --date D`.

1. **train_revenue_model**: the same rolling-origin backtest, fit and promotion gate as
   the nightly DAG; the new version gets `challenger`, and `champion` only if its chosen
   models beat the champion's on the same backtest and its 80% intervals are calibrated.
2. **publish_model_promotions**: republishes the warehouse so
   `monitoring.model_promotions` shows the result.
"""

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task
from salespipe_assets import BUSINESS_DATE_PARAMS, WAREHOUSE_POOL, business_date_of, trigger_of


@dag(
    dag_id="on_demand_revenue_model_training",
    schedule=None,
    start_date=pendulum.datetime(2000, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    params=BUSINESS_DATE_PARAMS,
    doc_md=__doc__,
    tags=["salespipe", "forecasting", "training", "mlflow"],
    default_args={
        "owner": "ml-engineering",
        "retries": 1,
        "retry_delay": timedelta(minutes=2),
        "pool": WAREHOUSE_POOL,
    },
)
def on_demand_revenue_model_training():
    @task
    def train_revenue_model(params=None, triggering_asset_events=None) -> str:
        from ml.forecasting.steps import MANUAL, train_revenue_model

        business_date = business_date_of(params, triggering_asset_events)
        trigger = trigger_of(params, triggering_asset_events, MANUAL)
        return train_revenue_model(business_date, trigger).summary

    @task
    def publish_model_promotions(params=None, triggering_asset_events=None) -> None:
        from ml.warehouse.steps import republish_for_readers

        republish_for_readers(business_date_of(params, triggering_asset_events))

    train_revenue_model() >> publish_model_promotions()


on_demand_revenue_model_training()
