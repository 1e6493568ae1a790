"""The ``ml.*`` tables: what the models write for BI (CONTRACT.md section 3)."""

from __future__ import annotations

from ml.catalog.declare import Table, columns

MODEL_NAME = "The registered MLflow model (lead_scoring, revenue_forecast, opportunity_scoring)."
MODEL_VERSION = "The MLflow model version."

LEAD_SCORES = Table(
    "ml.lead_scores",
    "Lead scores: one row per open lead per scoring date, from the lead_scoring "
    "champion (or the source prior without one). Re-scoring a date replaces its rows.",
    columns(
        ("lead_id", "varchar", "The lead (marts.lead_features.lead_id)."),
        ("score_date", "date", "The business date the lead was scored as of; the lead's "
         "features are marts.lead_features at as_of_date = score_date."),
        ("conversion_probability", "double", "Calibrated probability that the lead converts "
         "within the label window (default 90 days from its creation)."),
        ("score", "smallint", "conversion_probability on a 0-100 scale, rounded: 40 means "
         "40% likely."),
        ("percentile", "double", "Share (0-100) of the date's active (not stale) leads scored "
         "at or below this lead; null for a stale lead."),
        ("grade", "varchar", "A-D among the date's active leads: by rank (default; A = top "
         "10%, B next 20%, C next 30%, D the rest) or by probability bands, as configured "
         "(lead_scoring.grade_method); null for a stale lead."),
        ("top_factors", "varchar", "JSON {positive: [...], negative: [...]}: the top features "
         "that raised and lowered this lead's score, each with feature, label, the lead's "
         "value, impact (log-odds) and probability_effect (change in probability, "
         "0.05 = 5 points)."),
        ("model_name", "varchar", "The model that scored: lead_scoring, or source_prior "
         "without a champion."),
        ("model_version", "varchar", "The model version that scored (the prior: date and "
         "lead count)."),
        ("scoring_method", "varchar", "model (a registered champion) or prior (the fallback)."),
        ("scored_at", "timestamp", "When the scores were computed (UTC)."),
        ("is_stale", "boolean", "True when the lead is open but had no activity for more than "
         "lead_scoring.stale_after_days (default 30): scored, but not graded."),
    ),
    grain=("lead_id", "score_date"),
    partition_by=("score_date",),
    suite="ml.lead_scores",
)  # fmt: skip

REVENUE_FORECASTS = Table(
    "ml.revenue_forecasts",
    "Revenue forecasts: one row per forecast date, segment and period (13 weeks and "
    "6 months ahead), reconciled so regions, products and reps add up to the total.",
    columns(
        ("forecast_date", "date", "The business date the forecast was made on."),
        ("segment", "varchar", "total, or region:<code>, product:<name>, rep:<rep_id>."),
        ("grain", "varchar", "week or month."),
        ("period_start", "date", "First day of the forecast period."),
        ("period_end", "date", "Last day of the forecast period."),
        ("forecast", "double", "Forecast won revenue in the period, in the default currency."),
        ("lower", "double", "Lower bound of the interval_level (80%) prediction interval."),
        ("upper", "double", "Upper bound of the interval_level (80%) prediction interval."),
        ("interval_level", "double", "Coverage of lower/upper (0.8)."),
        ("lower_95", "double", "Lower bound of the 95% prediction interval."),
        ("upper_95", "double", "Upper bound of the 95% prediction interval."),
        ("existing_pipeline", "double", "Expected revenue from opportunities open on "
         "forecast_date and expected to close in the period."),
        ("new_business", "double", "forecast minus existing_pipeline: revenue still to be "
         "found."),
        ("method", "varchar", "The forecasting method that won the backtest for this series."),
        ("series_status", "varchar", "ok, or why the series got a fallback (e.g. short "
         "history)."),
        ("model_name", "varchar", MODEL_NAME),
        ("model_version", "varchar", MODEL_VERSION),
        ("model_alias", "varchar", "The alias the version was loaded by (champion)."),
        ("forecast_at", "timestamp", "When the forecast was computed (UTC)."),
    ),
    grain=("forecast_date", "segment", "grain", "period_start"),
    partition_by=("forecast_date",),
    suite="ml.revenue_forecasts",
)  # fmt: skip

OPPORTUNITY_SCORES = Table(
    "ml.opportunity_scores",
    "Deal scores: one row per open opportunity per scoring date, from the "
    "opportunity_scoring champion, or the stage win rates below Einstein's minimum of "
    "won and lost deals (scoring_method says which). Re-scoring a date replaces its rows.",
    columns(
        ("opportunity_id", "varchar", "The opportunity (marts.opportunity_features)."),
        ("score_date", "date", "The business date the deal was scored as of; its features "
         "are marts.opportunity_features at as_of_date = score_date."),
        ("win_probability", "double", "Calibrated probability that the deal is won."),
        ("score", "smallint", "win_probability on a 1-99 scale (Einstein's), rounded."),
        ("expected_value", "double", "win_probability times the deal's amount, in the "
         "default currency."),
        ("slip_probability", "double", "Probability that the deal is not closed (won or "
         "lost) by the close date it has on score_date."),
        ("expected_close_period", "date", "First day of the month the deal is expected to "
         "close in: its close date's month unless a slip is likely, else the score date "
         "plus its stage's median days to close."),
        ("top_factors", "varchar", "JSON {positive: [...], negative: [...]}: up to 3 features "
         "that raised and 3 that lowered the win probability, each with feature, label, the "
         "deal's value, impact (log-odds) and probability_effect."),
        ("model_name", "varchar", "opportunity_scoring, or stage_win_rates for the fallback."),
        ("model_version", "varchar", "The model version that scored (the fallback: date and "
         "count of closed deals its rates come from)."),
        ("scoring_method", "varchar", "model (a registered champion) or stage_win_rate (the "
         "fallback: fewer won or lost mature deals than the minimum, or no champion yet)."),
        ("scored_at", "timestamp", "When the scores were computed (UTC)."),
    ),
    grain=("opportunity_id", "score_date"),
    partition_by=("score_date",),
    suite="ml.opportunity_scores",
)  # fmt: skip

OPPORTUNITY_SCORE_HISTORY = Table(
    "ml.opportunity_score_history",
    "The deal model's out-of-sample win probabilities: each training's time-ordered "
    "holdout snapshots (deals it never fitted on), one row per deal per as-of date. The "
    "forecast backtest weighs the open pipeline with them against the stage win rates. "
    "Re-training a date replaces its rows.",
    columns(
        ("training_date", "date", "The business date of the training that predicted."),
        ("model_version", "varchar", "The version that training registered."),
        ("opportunity_id", "varchar", "The opportunity (marts.opportunity_features)."),
        ("as_of_date", "date", "The snapshot's as-of date: its features are "
         "marts.opportunity_features at that date."),
        ("win_probability", "double", "The candidate's calibrated win probability, fitted "
         "and calibrated on older deals only."),
    ),
    grain=("training_date", "opportunity_id", "as_of_date"),
    partition_by=("training_date",),
)  # fmt: skip

ML_TABLES = (LEAD_SCORES, REVENUE_FORECASTS, OPPORTUNITY_SCORES, OPPORTUNITY_SCORE_HISTORY)
