"""
### nightly_lead_scoring

Scores every open lead, every night, once the warehouse build has produced
`marts.lead_features` and `marts.lead_outcomes` (data-aware: scheduled on their Assets).

1. **train_lead_model_if_due**: with no champion, or every `retrain_every_days`, fits
   logistic regression and XGBoost; the better is promoted only if it beats the champion.
2. **score_open_leads**: the champion (or the source prior) into `ml.lead_scores`.
3. **write_next_best_actions**: a ranked action per open lead with its reason in words
   (`ml.next_best_actions`, rules in `ml/actions/rules.yml`); a bad rule stops it first.
4. **monitor_lead_model**: data and prediction drift against the champion's reference and
   the realised AUC, calibration and lift (`monitoring.drift`, `drift_runs`,
   `model_performance`, an HTML report); after scoring: drift never blocks it.
   **monitor_online_inputs**: the API's inputs of the date, likewise (`online_drift`).
5. **retraining_requested** / **request_lead_model_retraining**: a threshold crossed
   outside the cooldown emits `mlflow://models/lead_scoring/retraining_requested`
   (starts `on_demand_lead_model_training`, whose model faces the usual gate).
6. **publish_lead_scores**: publishes once all is done (the last nightly DAG to finish
   publishes), even when monitoring failed; without scores BI keeps the last night.

Business date: the asset events' (or the param). Tasks share the one-slot pool.
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

    @task
    def monitor_online_inputs() -> str:
        from ml.serving.steps import monitor_online_inputs

        return monitor_online_inputs(business_date()).summary

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
    actions = train_lead_model_if_due() >> score_open_leads() >> write_next_best_actions()
    actions >> [monitored, monitor_online_inputs()] >> publish_lead_scores()
    retraining_requested(monitored) >> request_lead_model_retraining()


nightly_lead_scoring()
