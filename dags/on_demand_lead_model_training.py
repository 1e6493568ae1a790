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

from airflow.sdk import task
from salespipe_assets import (
    LEAD_MODEL_RETRAINING_REQUESTED,
    business_date,
    names,
    salespipe_dag,
    trigger,
)


@salespipe_dag(
    names.LEAD_TRAINING_DAG,
    schedule=[LEAD_MODEL_RETRAINING_REQUESTED],
    doc_md=__doc__,
    tags=["lead_scoring", "training", "mlflow"],
)
def on_demand_lead_model_training():
    @task
    def train_lead_model() -> str:
        from ml.lead_scoring.steps import MANUAL, train_lead_model

        return train_lead_model(business_date(), trigger(MANUAL)).summary

    @task
    def publish_model_promotions() -> None:
        from ml.warehouse.steps import republish_for_readers

        republish_for_readers(business_date())

    train_lead_model() >> publish_model_promotions()


on_demand_lead_model_training()
