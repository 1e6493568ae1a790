"""The deal model as an MLflow pyfunc: any MLflow client gets win and slip
probabilities; salespipe unwraps it for the exact factors
(:func:`ml.opportunity_scoring.steps.score.load_deal_model`, the step that reads MLflow)."""

from __future__ import annotations

import pandas as pd

from ml.opportunity_scoring.train import DealModel
from ml.registry.pyfunc import JoblibPythonModel, pinned_requirements

ARTIFACT_KEY = "deal_model"


class DealScoringPyfunc(JoblibPythonModel):
    """``predict`` returns ``win_probability`` and ``slip_probability`` per row of
    ``opportunity_features``."""

    ARTIFACT_KEY = ARTIFACT_KEY

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        from ml.opportunity_scoring.features import model_inputs

        model: DealModel = self.fitted
        win = model.win.predict_proba(model_inputs(model_input, model.win.spec))
        slip = (
            model.slip.predict_proba(model_inputs(model_input, model.slip.spec))
            if model.slip is not None
            else model.slip_rates.probability(model_input["stage"])
        )
        return pd.DataFrame({"win_probability": win, "slip_probability": slip})


def pip_requirements() -> list[str]:
    return pinned_requirements("scikit-learn", "xgboost-cpu", "pandas", "numpy", "scipy", "joblib")
