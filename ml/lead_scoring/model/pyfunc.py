"""The lead model as an MLflow pyfunc: any MLflow client can load it and get
probabilities; salespipe unwraps it to get the exact contributions too
(:func:`ml.lead_scoring.steps.score.load_lead_model`, the step that reads MLflow).

The fitted :class:`~ml.modelling.model.ExplainableModel` is stored with joblib as the
model's ``lead_model`` artifact. Loading it needs the ``ml`` package (the same code
version, tagged on the model version as ``code_version``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ml.registry.pyfunc import JoblibPythonModel, pinned_requirements

# The model-from-code file MLflow stores with every version.
MODEL_FILE = Path(__file__).with_name("mlflow_model.py")
ARTIFACT_KEY = "lead_model"
# Where the pickled classes and the pyfunc lived before lead scoring took the house shape:
# versions registered then still load (:func:`ml.registry.pyfunc.old_module_paths`).
MOVED_MODULES = {
    "ml.lead_scoring.model": "ml.modelling.model",
    "ml.lead_scoring.encoding": "ml.modelling.encoding",
    "ml.lead_scoring.pyfunc": "ml.lead_scoring.model.pyfunc",
}


class LeadScoringPyfunc(JoblibPythonModel):
    """``predict`` returns one column, ``conversion_probability``."""

    ARTIFACT_KEY = ARTIFACT_KEY

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return pd.DataFrame({"conversion_probability": self.fitted.predict_proba(model_input)})


def pip_requirements() -> list[str]:
    return pinned_requirements("scikit-learn", "xgboost-cpu", "pandas", "numpy", "scipy", "joblib")
