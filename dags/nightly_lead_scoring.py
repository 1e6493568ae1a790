"""
### nightly_lead_scoring

Scores every open lead, every night, once the warehouse build has produced
`marts.lead_features` and `marts.lead_outcomes` (data-aware: scheduled on their Assets).

1. **train_lead_model_if_due**: with no `lead_scoring@champion`, or when the last training
   is `retrain_every_days` old (default 7), fits logistic regression and XGBoost on the
   leads whose 90-day label window has closed, registers the better on the most recent
   20% as `challenger`, and promotes it only if it beats the champion there, calibrated.
2. **score_open_leads**: with `models:/lead_scoring@champion` (the documented source
   prior while none is promoted), replaces the date's validated rows of `ml.lead_scores`:
   probability, score, percentile, grade A-D, top 3 factors each way, model version.
3. **write_next_best_actions**: a ranked action per open lead with its reason in words
   (`ml.next_best_actions`, rules in `ml/actions/rules.yml`); a bad rule stops it first.
4. **monitor_lead_model**: data and prediction drift against the champion's reference
   sample (Evidently) and the realised AUC, calibration and lift of matured scores, in
   `monitoring.drift`, `drift_runs`, `model_performance` and an HTML report. It runs
   after the scores are written: drift never blocks scoring.
5. **retraining_requested** / **request_lead_model_retraining**: a threshold crossed
   outside the cooldown emits `mlflow://models/lead_scoring/retraining_requested`, which
   starts `on_demand_lead_model_training` (its model faces the usual gate).
6. **publish_lead_scores**: publishes the night once all of it is done (the last nightly
   DAG to finish publishes), even when monitoring failed; if scoring did not finish, the
   run is recorded `failed` and BI keeps the last complete night.

The business date comes from the triggering asset events (or the `business_date` param by
hand). Tasks share the one-slot `salespipe_warehouse` pool: DuckDB has one writer a file.
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
