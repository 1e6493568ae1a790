"""Names that dags/ and ml/ share, each written here once.

Constants only, and no imports: DAG files load this module at parse time
(dags/salespipe_assets.py), where nothing heavy may be imported.
"""

# Use cases: the MLflow registered model, the ``model_name`` in the output rows and the
# night's stage in monitoring.pipeline_stages.
LEAD_SCORING = "lead_scoring"
REVENUE_FORECAST = "revenue_forecast"
OPPORTUNITY_SCORING = "opportunity_scoring"

# DuckDB allows one writer per file: every task that opens the working warehouse runs
# in this one-slot pool (created by `salespipe run`, and by the compose file's init).
WAREHOUSE_POOL = "salespipe_warehouse"

# DAG ids.
NIGHTLY_WAREHOUSE_DAG = "nightly_warehouse"
NIGHTLY_LEAD_SCORING_DAG = "nightly_lead_scoring"
NIGHTLY_REVENUE_FORECAST_DAG = "nightly_revenue_forecast"
NIGHTLY_OPPORTUNITY_SCORING_DAG = "nightly_opportunity_scoring"
LEAD_TRAINING_DAG = "on_demand_lead_model_training"
REVENUE_TRAINING_DAG = "on_demand_revenue_model_training"

# Asset URIs, named after what they stand for.
WAREHOUSE_MARTS = (
    "lead_features",
    "lead_outcomes",
    "opportunities",
    "opportunity_stage_history",
    "daily_revenue",
    "market_indicators_daily",
    "opportunity_features",
    "opportunity_outcomes",
)
MART_URIS = {name: f"duckdb://warehouse/marts/{name}" for name in WAREHOUSE_MARTS}
PUBLISHED_WAREHOUSE_URI = "duckdb://warehouse/published"
LEAD_SCORES_URI = "duckdb://warehouse/ml/lead_scores"
REVENUE_FORECASTS_URI = "duckdb://warehouse/ml/revenue_forecasts"
OPPORTUNITY_SCORES_URI = "duckdb://warehouse/ml/opportunity_scores"
# Tonight's deal scores are written (before the night is published): the forecast,
# which weighs the open pipeline with them, waits for it.
OPPORTUNITY_SCORES_WRITTEN_URI = "duckdb://warehouse/ml/opportunity_scores/written"
# Emitted by whatever asks for a new lead model (a drift alert, a person): the
# on-demand training DAG is scheduled on it.
LEAD_MODEL_RETRAINING_REQUESTED_URI = f"mlflow://models/{LEAD_SCORING}/retraining_requested"

# What a run is told, as a DAG param or in the extra of the asset events that start it.
BUSINESS_DATE_KEY = "business_date"
TRIGGER_KEY = "trigger"
DRIFT_TRIGGER = "drift"  # the trigger of a retraining the drift monitor asked for
