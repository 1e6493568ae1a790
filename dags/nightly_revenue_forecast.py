"""
### nightly_revenue_forecast

Forecasts closed-won revenue for the next 13 weeks and 6 months, for the whole business
and per region, product and rep, with 80% and 95% intervals, every night once the
warehouse build has produced `marts.daily_revenue` and `marts.opportunities`
(data-aware: scheduled on their Assets), and after deal scoring has written
`ml.opportunity_scores` for the night (its `opportunity_scores/written` Asset).

1. **forecast_revenue**: trains first when there is no `revenue_forecast@champion` or the
   champion is `retrain_every_days` old (default 28): a rolling-origin backtest of
   seasonal naive, run rate, ETS, the global LSTM and an ensemble; the champion model per
   level chosen by backtest error (the LSTM only where it wins); conformal intervals from
   the backtest residuals; registered as `challenger`, promoted by the shared gate. Then
   it forecasts with the champion, adds the expected revenue of open opportunities
   (existing pipeline: weighted by the deal model's win probabilities when the training
   backtest found them better than stage win rates, else by stage win rates) beside
   the run-rate forecast, replaces the date in
   `ml.revenue_forecasts`, and scores earlier forecasts whose periods have completed
   (`monitoring.forecast_performance`).
   With no revenue history (a leads-only export, no won deals yet) or with
   `forecasting: {enabled: false}` in salespipe.yml it writes nothing and says why
   ("forecasting skipped: no revenue data on or before ..."); the night still succeeds.
2. **publish_revenue_forecasts**: publishes the night if all of it is done (warehouse,
   lead scores, forecasts; the last nightly DAG to finish publishes). If forecasting did
   not finish, the run is recorded `failed` and BI keeps the last complete night.
"""

from airflow.sdk import task
from salespipe_assets import (
    MART_ASSETS,
    OPPORTUNITY_SCORES_WRITTEN,
    REVENUE_FORECASTS,
    business_date,
    business_date_extra,
    names,
    no_retry_on,
    salespipe_dag,
)


@salespipe_dag(
    names.NIGHTLY_REVENUE_FORECAST_DAG,
    schedule=[
        MART_ASSETS["daily_revenue"],
        MART_ASSETS["opportunities"],
        OPPORTUNITY_SCORES_WRITTEN,
    ],
    doc_md=__doc__,
    tags=["forecasting", "nightly", "mlflow"],
)
def nightly_revenue_forecast():
    @task
    def forecast_revenue() -> dict:
        from ml.forecasting.steps import forecast_revenue

        outcome = forecast_revenue(business_date())
        return {
            "rows": outcome.rows,
            "model_version": outcome.model_version,
            "trained": outcome.trained,
            "skipped": outcome.skipped,
        }

    @task(outlets=[REVENUE_FORECASTS], trigger_rule="all_done")
    def publish_revenue_forecasts(outlet_events=None) -> None:
        from ml.warehouse.steps import NightIncompleteError, publish_night_if_complete

        with no_retry_on(NightIncompleteError):
            publish_night_if_complete(business_date(), names.REVENUE_FORECAST)
        outlet_events[REVENUE_FORECASTS].extra = business_date_extra(business_date())

    forecast_revenue() >> publish_revenue_forecasts()


nightly_revenue_forecast()
