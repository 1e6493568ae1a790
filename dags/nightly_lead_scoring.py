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
3. **write_next_best_actions**: one ranked action per open lead in
   `ml.next_best_actions`, with its reason in words, from `ml/actions/rules.yml`
   (docs/serving.md); an invalid rule stops it before anything is written.
4. **monitor_lead_model**: data and prediction drift against the champion's reference
   sample (Evidently), and the realised AUC, calibration and lift of matured scores, in
   `monitoring.drift`, `drift_runs`, `model_performance` and an HTML report. Drift never
   blocks scoring: the scores are written before it runs.
5. **retraining_requested** / **request_lead_model_retraining**: when a threshold is
   crossed outside the cooldown, emits the Asset
   `mlflow://models/lead_scoring/retraining_requested`, which starts
   `on_demand_lead_model_training` (its model then faces the usual promotion gate).
6. **publish_lead_scores**: publishes the night if all of it is done (warehouse, lead
   scores, forecasts; the last nightly DAG to finish publishes); it runs even when
   monitoring failed. If scoring did not finish, the run is recorded `failed` and the
   published warehouse keeps the last complete night.

The business date comes from the triggering asset events (or the `business_date` param
when triggered by hand). Every task runs in the `salespipe_warehouse` pool (one slot):
DuckDB allows one writer per file.
"""

from airflow.sdk import task
from salespipe_assets import (
    LEAD_MODEL_RETRAINING_REQUESTED,
    LEAD_SCORES,
    MART_ASSETS,
    business_date,
    business_date_extra,
    names,
    no_retry_on,
    salespipe_dag,
)


@salespipe_dag(
    names.NIGHTLY_LEAD_SCORING_DAG,
    schedule=[MART_ASSETS["lead_features"], MART_ASSETS["lead_outcomes"]],
    doc_md=__doc__,
    tags=["lead_scoring", "nightly", "mlflow"],
    retries=2,
)
def nightly_lead_scoring():
    @task
    def train_lead_model_if_due() -> str:
        from ml.lead_scoring.steps import train_lead_model_if_due

        return train_lead_model_if_due(business_date())

    @task
    def score_open_leads() -> dict:
        from ml.lead_scoring.steps import score_open_leads

        outcome = score_open_leads(business_date())
        return {"rows": outcome.rows, "model": f"{outcome.model_name} v{outcome.model_version}"}

    @task
    def write_next_best_actions() -> int:
        from ml.actions.steps import write_next_best_actions

        return write_next_best_actions(business_date())

    @task
    def monitor_lead_model() -> bool:
        from ml.lead_scoring.steps import monitor_lead_model

        return monitor_lead_model(business_date()).retrain

    @task.short_circuit
    def retraining_requested(retrain: bool) -> bool:
        return retrain

    @task(outlets=[LEAD_MODEL_RETRAINING_REQUESTED])
    def request_lead_model_retraining(outlet_events=None) -> None:
        extra = business_date_extra(business_date(), **{names.TRIGGER_KEY: names.DRIFT_TRIGGER})
        outlet_events[LEAD_MODEL_RETRAINING_REQUESTED].extra = extra

    @task(outlets=[LEAD_SCORES], trigger_rule="all_done")
    def publish_lead_scores(outlet_events=None) -> None:
        from ml.warehouse.steps import NightIncompleteError, publish_night_if_complete

        with no_retry_on(NightIncompleteError):
            publish_night_if_complete(business_date(), names.LEAD_SCORING)
        outlet_events[LEAD_SCORES].extra = business_date_extra(business_date())

    monitored = monitor_lead_model()
    scored = train_lead_model_if_due() >> score_open_leads()
    scored >> write_next_best_actions() >> monitored >> publish_lead_scores()
    retraining_requested(monitored) >> request_lead_model_retraining()


nightly_lead_scoring()
