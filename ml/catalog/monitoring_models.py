"""The ``monitoring.*`` tables about models: drift and realised performance."""

from __future__ import annotations

from ml.catalog.declare import Table, columns
from ml.catalog.ml_tables import MODEL_NAME
from ml.catalog.monitoring_runs import RUN_DATE

DRIFT = Table(
    "monitoring.drift",
    "Data and prediction drift: one row per run, model and feature (feature = "
    "'prediction' for the scores), tonight's scored population against the champion's "
    "reference sample.",
    columns(
        ("run_date", "date", RUN_DATE),
        ("model_name", "varchar", MODEL_NAME),
        ("model_version", "varchar", "The champion version whose reference was used."),
        ("feature", "varchar", "The model input, or 'prediction'."),
        ("drift_score", "double", "The test's statistic or p-value (see stattest)."),
        ("threshold", "double", "The test's threshold."),
        ("drifted", "boolean", "True when the feature drifted by its test and threshold."),
        ("stattest", "varchar", "The statistical test Evidently chose or was configured with."),
        ("kind", "varchar", "numerical, categorical or prediction."),
        ("reference_rows", "bigint", "Rows of the reference sample."),
        ("current_rows", "bigint", "Rows of tonight's sample."),
        ("note", "varchar", "Why a feature was skipped, if it was."),
    ),
    grain=("run_date", "model_name", "feature"),
    partition_by=("run_date", "model_name"),
)

DRIFT_RUNS = Table(
    "monitoring.drift_runs",
    "One row per run and model: the drift verdict, realised performance, alerts and "
    "whether retraining was requested.",
    columns(
        ("run_date", "date", RUN_DATE),
        ("model_name", "varchar", MODEL_NAME),
        ("model_version", "varchar", "The champion version monitored."),
        ("features", "bigint", "Features compared."),
        ("drifted_features", "bigint", "Features that drifted."),
        ("share_drifted", "double", "drifted_features / features."),
        ("share_threshold", "double", "Share of drifted features that raises an alert."),
        ("prediction_drift_score", "double", "Drift score of the predictions."),
        ("prediction_drifted", "boolean", "True when the predictions drifted."),
        ("realised_auc", "double", "AUC of past scores whose labels have matured."),
        ("realised_score_date", "date", "The score date realised_auc was measured on."),
        ("promotion_auc", "double", "The holdout AUC the version was promoted with."),
        ("alerts", "varchar", "The alerts raised, comma-separated; empty when quiet."),
        ("retraining_requested", "boolean", "True when the night asked for retraining."),
        ("suppressed_by_cooldown", "boolean", "True when an alert did not retrain (cooldown)."),
        ("report_path", "varchar", "Path of the night's Evidently HTML report."),
        ("note", "varchar", "Anything the run had to say (e.g. no champion yet)."),
    ),
    grain=("run_date", "model_name"),
    partition_by=("run_date", "model_name"),
)

MODEL_PERFORMANCE = Table(
    "monitoring.model_performance",
    "Realised performance: one row per model, version and score date whose labels "
    "have matured, recomputed as outcomes arrive.",
    columns(
        ("model_name", "varchar", MODEL_NAME),
        ("model_version", "varchar", "The version that made the scores."),
        ("score_date", "date", "The date the scores were made."),
        ("evaluated_on", "date", "The business date of the evaluation."),
        ("label_window_days", "integer", "Days after creation a conversion counted."),
        ("rows", "bigint", "Scored leads evaluated."),
        ("positives", "bigint", "Of them, converted within the window."),
        ("roc_auc", "double", "Area under the ROC curve."),
        ("pr_auc", "double", "Area under the precision-recall curve."),
        ("log_loss", "double", "Log loss of the probabilities."),
        ("brier", "double", "Brier score of the probabilities."),
        ("expected_calibration_error", "double", "Expected calibration error (10 bins)."),
        ("top_decile_lift", "double", "Conversion rate of the top 10% over the overall rate."),
        ("rows_excluded", "bigint", "Scored leads left out (label not known yet or lead gone)."),
    ),
    grain=("model_name", "model_version", "score_date"),
    partition_by=("model_name", "score_date"),
)

FORECAST_PERFORMANCE = Table(
    "monitoring.forecast_performance",
    "Realised forecast accuracy: one row per model, forecast date, grain and segment "
    "once its periods have happened.",
    columns(
        ("model_name", "varchar", MODEL_NAME),
        ("forecast_date", "date", "The date the forecast was made."),
        ("grain", "varchar", "week or month."),
        ("segment", "varchar", "total, or region:/product:/rep: segment."),
        ("evaluated_on", "date", "The business date of the evaluation."),
        ("periods", "bigint", "Completed periods compared."),
        ("mae", "double", "Mean absolute error, in the default currency."),
        ("scale", "double", "The seasonal-naive in-sample error MASE divides by."),
        ("mase", "double", "Mean absolute scaled error (below 1 beats seasonal naive)."),
        ("coverage_80", "double", "Share of actuals inside the 80% interval."),
        ("coverage_95", "double", "Share of actuals inside the 95% interval."),
    ),
    grain=("model_name", "forecast_date", "grain", "segment"),
    partition_by=("model_name", "forecast_date"),
)

MODEL_TABLES = (DRIFT, DRIFT_RUNS, MODEL_PERFORMANCE, FORECAST_PERFORMANCE)
