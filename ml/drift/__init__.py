"""Drift monitoring of the lead model: data drift, prediction drift, realised performance.

Pure functions on DataFrames and arrays; the steps around them read the warehouse,
load the champion's reference from MLflow and write ``monitoring.*``. Evidently is
imported only when a comparison runs, so importing this package stays cheap.
"""

from ml.drift.config import DriftConfig
from ml.drift.data_drift import DriftResult, measure_data_drift
from ml.drift.performance import realised_forecast_performance, realised_lead_performance
from ml.drift.prediction_drift import measure_prediction_drift
from ml.drift.reference import PREDICTION, reference_sample, sample_rows
from ml.drift.report import drift_report_path, save_drift_report
from ml.drift.trigger import RetrainDecision, decide_retraining

__all__ = [
    "PREDICTION",
    "DriftConfig",
    "DriftResult",
    "RetrainDecision",
    "decide_retraining",
    "drift_report_path",
    "measure_data_drift",
    "measure_prediction_drift",
    "realised_forecast_performance",
    "realised_lead_performance",
    "reference_sample",
    "sample_rows",
    "save_drift_report",
]
