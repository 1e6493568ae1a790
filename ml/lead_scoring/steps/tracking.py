"""Logging a training run to MLflow: one parent run per training, one nested run per
candidate with its metrics and figures, and the best candidate registered as a new
version of ``lead_scoring`` with its provenance tags."""

from __future__ import annotations

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature

from ml import names
from ml.lead_scoring.model import plots
from ml.lead_scoring.model.pyfunc import ARTIFACT_KEY, MODEL_FILE, pip_requirements
from ml.lead_scoring.train import Candidate, feature_importance
from ml.registry.lifecycle import tag_version
from ml.registry.pyfunc import log_joblib_model

MODEL_NAME = names.LEAD_SCORING


def log_candidate(
    candidate: Candidate, holdout_inputs: pd.DataFrame, holdout_labels: np.ndarray
) -> None:
    """Metrics, the three figures and the importance table of one candidate, in the active run."""
    mlflow.log_metrics({f"holdout_{k}": v for k, v in candidate.metrics.as_dict().items()})
    mlflow.log_metric("fit_seconds", candidate.fit_seconds)
    mlflow.log_params(
        {
            "estimator": candidate.name,
            "platt_slope": candidate.model.platt_slope,
            "platt_intercept": candidate.model.platt_intercept,
            "calibration": "platt",
            **candidate.params,
        }
    )
    y, p = holdout_labels, candidate.holdout_probability
    importance = feature_importance(candidate.model, holdout_inputs)
    for name, figure in (
        ("calibration.png", plots.calibration_figure(y, p, f"{candidate.name}: calibration")),
        ("lift_gain.png", plots.lift_gain_figure(y, p, f"{candidate.name}: lift and gain")),
        ("feature_importance.png", plots.importance_figure(importance, candidate.name)),
    ):
        mlflow.log_figure(figure, f"plots/{name}")
        plt.close(figure)
    mlflow.log_text(importance.to_csv(), "feature_importance.csv")


def log_reference_sample(reference: pd.DataFrame) -> str:
    """Store the drift reference (training inputs and predictions) in the active run;
    returns its ``runs:/`` URI, for the version's ``reference_uri`` tag."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reference.parquet"
        reference.to_parquet(path, index=False)
        mlflow.log_artifact(str(path), "reference")
    return f"runs:/{mlflow.active_run().info.run_id}/reference/reference.parquet"


def synthetic_example(inputs: pd.DataFrame) -> pd.DataFrame:
    """One row that is nobody's: each column's median (numbers) or most frequent value.

    MLflow keeps the input example with the model for as long as the version exists; a
    real lead's row there would be personal data outside the reach of an erasure.
    """
    row = {}
    for column in inputs.columns:
        values = inputs[column].dropna()
        if values.empty:
            row[column] = inputs[column].iloc[:1].to_numpy()[0] if len(inputs) else None
        elif pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            row[column] = values.mode().iloc[0]
        else:
            row[column] = values.median()
    return pd.DataFrame([row]).astype(inputs.dtypes.to_dict(), errors="ignore")


def register_candidate(
    candidate: Candidate, example_inputs: pd.DataFrame, tags: dict[str, str]
) -> str:
    """Log the candidate as a pyfunc in the active run, register it, tag the version.

    Returns the new version number.
    """
    example = synthetic_example(example_inputs)
    signature = infer_signature(
        example, pd.DataFrame({"conversion_probability": candidate.model.predict_proba(example)})
    )
    version = log_joblib_model(
        candidate.model,
        MODEL_FILE,
        ARTIFACT_KEY,
        MODEL_NAME,
        signature=signature,
        input_example=example,
        pip_requirements=pip_requirements(),
    )
    tag_version(mlflow.MlflowClient(), MODEL_NAME, version, tags)
    return version
