"""
### on_demand_lead_model_training

Trains a new lead model now, outside the weekly cadence: when someone triggers it (the
Airflow UI, `salespipe models train lead_scoring`) or when a drift alert emits the
`mlflow://models/lead_scoring/retraining_requested` Asset.

1. **train_lead_model**: the same training and promotion gate as the nightly DAG:
   register the better candidate as `challenger`; promote it to `champion` only if it
   beats the champion on the same recent holdout rows and passes the calibration limit.
2. **publish_model_promotions**: republishes the warehouse so `monitoring.model_promotions`
   shows the result.

The next `nightly_lead_scoring` run scores with whatever `champion` then points at.
"""

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task
from salespipe_assets import (
    BUSINESS_DATE_PARAMS,
    LEAD_MODEL_RETRAINING_REQUESTED,
    WAREHOUSE_POOL,
    business_date_of,
    trigger_of,
)


@dag(
    dag_id="on_demand_lead_model_training",
    schedule=[LEAD_MODEL_RETRAINING_REQUESTED],
    start_date=pendulum.datetime(2000, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    params=BUSINESS_DATE_PARAMS,
    doc_md=__doc__,
    tags=["salespipe", "lead_scoring", "training", "mlflow"],
    default_args={
        "owner": "ml-engineering",
        "retries": 1,
        "retry_delay": timedelta(minutes=2),
        "pool": WAREHOUSE_POOL,
    },
)
def on_demand_lead_model_training():
    @task
    def train_lead_model(params=None, triggering_asset_events=None) -> str:
        from ml.lead_scoring.steps import MANUAL, train_lead_model

        business_date = business_date_of(params, triggering_asset_events)
        return train_lead_model(
            business_date, trigger_of(params, triggering_asset_events, MANUAL)
        ).summary

    @task
    def publish_model_promotions(params=None, triggering_asset_events=None) -> None:
        from ml.warehouse.steps import republish_for_readers

        republish_for_readers(business_date_of(params, triggering_asset_events))

    train_lead_model() >> publish_model_promotions()


on_demand_lead_model_training()
