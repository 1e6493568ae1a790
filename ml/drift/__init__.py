"""Drift monitoring of the lead model: data drift, prediction drift, realised performance.

Pure functions on DataFrames and arrays; the steps around them read the warehouse,
load the champion's reference from MLflow and write ``monitoring.*``. Evidently is
imported only when a comparison runs, so importing this package stays cheap.
"""

# Names are imported on first use (PEP 562), so that reading one small module of this
# package (its config, say, when the CLI checks salespipe.yml) does not pull in the
# heavy libraries the rest needs.
_EXPORTS = {
    "DriftConfig": "ml.drift.config",
    "DriftResult": "ml.drift.data_drift",
    "measure_data_drift": "ml.drift.data_drift",
    "realised_forecast_performance": "ml.drift.performance",
    "realised_lead_performance": "ml.drift.performance",
    "measure_prediction_drift": "ml.drift.prediction_drift",
    "PREDICTION": "ml.drift.reference",
    "reference_sample": "ml.drift.reference",
    "sample_rows": "ml.drift.reference",
    "drift_report_path": "ml.drift.report",
    "save_drift_report": "ml.drift.report",
    "RetrainDecision": "ml.drift.trigger",
    "decide_retraining": "ml.drift.trigger",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
