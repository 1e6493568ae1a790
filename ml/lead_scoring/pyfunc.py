"""The lead model as an MLflow pyfunc: any MLflow client can load it and get
probabilities; salespipe unwraps it to get the exact contributions too.

The fitted :class:`~ml.lead_scoring.model.LeadModel` is stored with joblib as the
model's ``lead_model`` artifact. Loading it needs the ``ml`` package (the same code
version, tagged on the model version as ``code_version``).
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import joblib
import mlflow.pyfunc
import pandas as pd

from ml.lead_scoring.model import LeadModel

ARTIFACT_KEY = "lead_model"


class LeadScoringPyfunc(mlflow.pyfunc.PythonModel):
    """``predict`` returns one column, ``conversion_probability``."""

    lead_model: LeadModel | None = None

    def load_context(self, context) -> None:
        self.lead_model = joblib.load(context.artifacts[ARTIFACT_KEY])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return pd.DataFrame({"conversion_probability": self.lead_model.predict_proba(model_input)})


def pip_requirements() -> list[str]:
    """Pinned from this environment: inferring them is slow and drags torch in."""
    return [
        f"{name}=={version(name)}"
        for name in ("scikit-learn", "xgboost-cpu", "pandas", "numpy", "scipy", "joblib")
    ]


def save_lead_model(model: LeadModel, folder: Path) -> Path:
    """Write the joblib artifact into ``folder``; returns its path."""
    path = folder / "lead_model.joblib"
    joblib.dump(model, path)
    return path


def load_lead_model(model_uri: str) -> LeadModel:
    """Load a registered lead model (``models:/lead_scoring/3``) back as a LeadModel."""
    return mlflow.pyfunc.load_model(model_uri).unwrap_python_model().lead_model
