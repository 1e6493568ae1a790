"""
### nightly_opportunity_scoring

Scores every open deal, every night, once the warehouse build has produced
`marts.opportunity_features` and `marts.opportunity_outcomes` (data-aware: scheduled on
their Assets). See docs/deal-scoring.md.

1. **train_deal_model_if_due**: trains when there is no `opportunity_scoring@champion`
   or the last training is `retrain_every_days` old (default 7). Below Einstein's
   minimum (200 won and 200 lost mature deals, `salespipe.yml`) nothing is trained.
   Otherwise a logistic baseline and XGBoost, Platt-calibrated, are judged on the newest
   20% of mature deals; the better is registered as `challenger` and promoted to
   `champion` by the shared gate only if it is calibrated, beats the stage win rates
   and beats the champion on the same holdout.
2. **score_open_deals**: with the champion (or the stage win rates without one, said in
   every row's `scoring_method`) replaces the date's rows of `ml.opportunity_scores`:
   win probability, 1-99 score, expected value, slip probability, expected close
   period and the top 3 factors each way. Validated before writing. Emits
   `opportunity_scores/written`, which the revenue forecast waits for (it weighs the
   open pipeline with these win probabilities when its backtest chose them).
3. **write_next_best_deal_actions**: a ranked action per open deal with its reason in
   words (the deal rows of `ml.next_best_actions`, rules in `ml/actions/deal_rules.yml`);
   a bad rule stops it first.
4. **monitor_deal_model**: drift against the champion's reference sample and realised
   AUC of matured scores, through the shared monitoring library (`monitoring.*`), with
   the shared retraining verdict; a night that asks for retraining is answered by the
   next night's step 1 (trigger `drift`).
5. **publish_opportunity_scores**: publishes the night if all of it is done (the last
   nightly DAG to finish publishes); it runs even when monitoring failed.
"""

from airflow.sdk import task
from salespipe_assets import (
    MART_ASSETS,
    OPPORTUNITY_SCORES,
    OPPORTUNITY_SCORES_WRITTEN,
    business_date,
    business_date_extra,
    names,
    no_retry_on,
    salespipe_dag,
)


@salespipe_dag(
    names.NIGHTLY_OPPORTUNITY_SCORING_DAG,
    schedule=[MART_ASSETS["opportunity_features"], MART_ASSETS["opportunity_outcomes"]],
    doc_md=__doc__,
    tags=["opportunity_scoring", "nightly", "mlflow"],
)
def nightly_opportunity_scoring():
    @task
    def train_deal_model_if_due() -> str:
        from ml.opportunity_scoring.steps import train_deal_model_if_due

        return train_deal_model_if_due(business_date())

    @task(outlets=[OPPORTUNITY_SCORES_WRITTEN])
    def score_open_deals(outlet_events=None) -> dict:
        from ml.opportunity_scoring.steps import score_open_deals

        outcome = score_open_deals(business_date())
        outlet_events[OPPORTUNITY_SCORES_WRITTEN].extra = business_date_extra(business_date())
        return {"rows": outcome.rows, "method": outcome.scoring_method}

    @task
    def write_next_best_deal_actions() -> int:
        from ml.actions.deal_steps import write_next_best_deal_actions

        return write_next_best_deal_actions(business_date())

    @task
    def monitor_deal_model() -> str:
        from ml.opportunity_scoring.steps import monitor_deal_model

        return monitor_deal_model(business_date()).summary

    @task(outlets=[OPPORTUNITY_SCORES], trigger_rule="all_done")
    def publish_opportunity_scores(outlet_events=None) -> None:
        from ml.warehouse.steps import NightIncompleteError, publish_night_if_complete

        with no_retry_on(NightIncompleteError):
            publish_night_if_complete(business_date(), names.OPPORTUNITY_SCORING)
        outlet_events[OPPORTUNITY_SCORES].extra = business_date_extra(business_date())

    actions = train_deal_model_if_due() >> score_open_deals() >> write_next_best_deal_actions()
    actions >> monitor_deal_model() >> publish_opportunity_scores()


nightly_opportunity_scoring()
