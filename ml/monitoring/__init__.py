"""Model monitoring for any use case: data drift, prediction drift, realised performance.

Pure functions on a reference frame and a current frame, with no knowledge of the model
that made them, plus the Evidently HTML report and the retraining verdict. A use case's
``monitor`` step reads its own frames (features, predictions, labels), calls these, and
writes the results with :mod:`ml.monitoring.tables` (``monitoring.drift``,
``drift_runs``, ``model_performance``, keyed by model name). Evidently is imported only
when a comparison runs, so importing this package stays cheap.

- :func:`measure_data_drift`: one Evidently ``ValueDrift`` per feature, on seeded samples.
- :func:`measure_prediction_drift`: the same for the model's predictions.
- :func:`realised_classification_performance`, :func:`realised_forecast_performance`:
  how good past predictions were, once the truth is known.
- :func:`decide_retraining`: whether those signals ask for a retraining.
- :func:`save_drift_report`: the night's Evidently report as one HTML page.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what type checkers see; at run time the names come from __getattr__
    from ml.monitoring.config import DriftConfig
    from ml.monitoring.data_drift import DriftResult, measure_data_drift
    from ml.monitoring.performance import (
        realised_classification_performance,
        realised_forecast_performance,
    )
    from ml.monitoring.prediction_drift import measure_prediction_drift
    from ml.monitoring.reference import PREDICTION, reference_sample, sample_rows
    from ml.monitoring.report import drift_report_path, save_drift_report
    from ml.monitoring.trigger import RetrainDecision, decide_retraining

# Names are imported on first use (PEP 562), so that reading one small module of this
# package (its config, say, when the CLI checks salespipe.yml) does not pull in the
# heavy libraries the rest needs.
_EXPORTS = {
    "DriftConfig": "ml.monitoring.config",
    "DriftResult": "ml.monitoring.data_drift",
    "measure_data_drift": "ml.monitoring.data_drift",
    "realised_classification_performance": "ml.monitoring.performance",
    "realised_forecast_performance": "ml.monitoring.performance",
    "measure_prediction_drift": "ml.monitoring.prediction_drift",
    "PREDICTION": "ml.monitoring.reference",
    "reference_sample": "ml.monitoring.reference",
    "sample_rows": "ml.monitoring.reference",
    "drift_report_path": "ml.monitoring.report",
    "save_drift_report": "ml.monitoring.report",
    "RetrainDecision": "ml.monitoring.trigger",
    "decide_retraining": "ml.monitoring.trigger",
}


def __getattr__(name: str) -> object:
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
    "realised_classification_performance",
    "realised_forecast_performance",
    "reference_sample",
    "sample_rows",
    "save_drift_report",
]
