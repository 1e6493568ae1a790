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

from airflow.sdk import task
from salespipe_assets import (
    business_date,
    names,
    salespipe_dag,
    trigger,
)


@salespipe_dag(
    names.REVENUE_TRAINING_DAG,
    schedule=None,
    doc_md=__doc__,
    tags=["forecasting", "training", "mlflow"],
)
def on_demand_revenue_model_training():
    @task
    def train_revenue_model() -> str:
        from ml.forecasting.steps import MANUAL, train_revenue_model

        return train_revenue_model(business_date(), trigger(MANUAL)).summary

    @task
    def publish_model_promotions() -> None:
        from ml.warehouse.steps import republish_for_readers

        republish_for_readers(business_date())

    train_revenue_model() >> publish_model_promotions()


on_demand_revenue_model_training()
