"""
### nightly_lead_scoring

Scores every open lead, every night, once the warehouse build has produced
`marts.lead_features` and `marts.lead_outcomes` (data-aware: scheduled on their Assets).

1. **train_lead_model_if_due**: trains when there is no `lead_scoring@champion` (a fresh
   install, a new data set) or the last training is `retrain_every_days` old (default 7,
   in `salespipe.yml`). Training fits a logistic-regression baseline and XGBoost on the
   leads whose 90-day label window has closed, judges both on the most recent 20% of
   those leads, registers the better one in MLflow as `challenger`, and promotes it to
   `champion` only if it beats the champion on the same holdout rows and is calibrated.
2. **score_open_leads**: loads `models:/lead_scoring@champion` (or, while none is
   promoted, the documented source prior) and replaces the business date's rows of
   `ml.lead_scores`: probability, 0-100 score, percentile, grade A-D, the top 3
   positive and negative factors, and the model version. Validated before writing.
3. **monitor_lead_model**: compares tonight's model inputs and scores with the champion's
   own reference sample (Evidently, seeded samples), computes the realised AUC,
   calibration and lift of past scores whose labels have matured, and writes
   `monitoring.drift`, `monitoring.drift_runs`, `monitoring.model_performance` and an
   HTML report (also an artifact of the champion's MLflow run). Drift never blocks
   scoring: the scores are written before it runs.
4. **retraining_requested** / **request_lead_model_retraining**: when a threshold is
   crossed outside the cooldown, emits the Asset
   `mlflow://models/lead_scoring/retraining_requested`, which starts
   `on_demand_lead_model_training` (its model then faces the usual promotion gate).
5. **publish_lead_scores**: publishes the night if all of it is done (warehouse, lead
   scores, forecasts; the last nightly DAG to finish publishes); it runs even when
   monitoring failed. If scoring did not finish, the run is recorded `failed` and the
   published warehouse keeps the last complete night.

The business date comes from the triggering asset events (or the `business_date` param
when triggered by hand). Every task that opens the working warehouse runs in the
`salespipe_warehouse` pool (one slot): DuckDB allows one writer per file.
"""

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task
from salespipe_assets import (
    BUSINESS_DATE_PARAMS,
    LEAD_MODEL_RETRAINING_REQUESTED,
    LEAD_SCORES,
    MART_ASSETS,
    WAREHOUSE_POOL,
    business_date_extra,
    business_date_of,
)


@dag(
    dag_id="nightly_lead_scoring",
    schedule=[MART_ASSETS["lead_features"], MART_ASSETS["lead_outcomes"]],
    start_date=pendulum.datetime(2000, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    params=BUSINESS_DATE_PARAMS,
    doc_md=__doc__,
    tags=["salespipe", "lead_scoring", "nightly", "mlflow"],
    default_args={
        "owner": "ml-engineering",
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
        "pool": WAREHOUSE_POOL,
    },
)
def nightly_lead_scoring():
    @task
    def resolve_business_date(params=None, triggering_asset_events=None) -> str:
        return business_date_of(params, triggering_asset_events).isoformat()

    @task
    def train_lead_model_if_due(business_date: str) -> str:
        from datetime import date

        from ml.lead_scoring.steps import train_lead_model_if_due

        return train_lead_model_if_due(date.fromisoformat(business_date))

    @task
    def score_open_leads(business_date: str) -> dict:
        from datetime import date

        from ml.lead_scoring.steps import score_open_leads

        outcome = score_open_leads(date.fromisoformat(business_date))
        return {"rows": outcome.rows, "model": f"{outcome.model_name} v{outcome.model_version}"}

    @task
    def monitor_lead_model(business_date: str) -> bool:
        from datetime import date

        from ml.lead_scoring.steps import monitor_lead_model

        return monitor_lead_model(date.fromisoformat(business_date)).retrain

    @task.short_circuit
    def retraining_requested(retrain: bool) -> bool:
        return retrain

    @task(outlets=[LEAD_MODEL_RETRAINING_REQUESTED])
    def request_lead_model_retraining(business_date: str, outlet_events=None) -> None:
        from datetime import date

        extra = business_date_extra(date.fromisoformat(business_date))
        outlet_events[LEAD_MODEL_RETRAINING_REQUESTED].extra = {**extra, "trigger": "drift"}

    @task(outlets=[LEAD_SCORES], trigger_rule="all_done")
    def publish_lead_scores(business_date: str, outlet_events=None) -> None:
        from datetime import date

        from airflow.sdk.exceptions import AirflowFailException

        from ml.warehouse.steps import NightIncompleteError, publish_night_if_complete

        try:
            publish_night_if_complete(date.fromisoformat(business_date), "lead_scoring")
        except NightIncompleteError as exc:
            raise AirflowFailException(str(exc)) from exc
        outlet_events[LEAD_SCORES].extra = business_date_extra(date.fromisoformat(business_date))

    business_date = resolve_business_date()
    trained = train_lead_model_if_due(business_date)
    scored = score_open_leads(business_date)
    monitored = monitor_lead_model(business_date)
    trained >> scored >> monitored >> publish_lead_scores(business_date)
    retraining_requested(monitored) >> request_lead_model_retraining(business_date)


nightly_lead_scoring()
