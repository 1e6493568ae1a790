"""The revenue forecaster as an MLflow pyfunc.

Any MLflow client can load a version and call ``predict`` with ``marts.daily_revenue``
rows and ``params={"forecast_date": "YYYY-MM-DD"}``; it returns the forecast rows. The
generic interface carries no market indicators, so a version whose champion is the LSTM
forecasts there with neutral covariates; salespipe's own steps unwrap the model and pass
the indicators (:func:`load_forecaster`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ml.forecasting.models.forecaster import RevenueForecaster
from ml.registry.pyfunc import JoblibPythonModel, load_fitted, pinned_requirements

# The model-from-code file MLflow stores with every version.
MODEL_FILE = Path(__file__).with_name("mlflow_model.py")
ARTIFACT_KEY = "revenue_forecaster"
# Where the pickled classes and the pyfunc lived before forecasting took the house shape
# (forecasting/models/): versions registered then still load
# (:func:`ml.registry.pyfunc.old_module_paths`).
MOVED_MODULES = {
    f"ml.forecasting.{name}": f"ml.forecasting.models.{name}"
    for name in ("forecaster", "lstm", "lstm_data", "panel", "backtest", "ets_budget", "pyfunc")
} | {"ml.forecasting.series": "ml.forecasting.features"}


class RevenueForecastPyfunc(JoblibPythonModel):
    """``predict``: daily revenue rows in, forecast rows (``FORECAST_COLUMNS``) out."""

    ARTIFACT_KEY = ARTIFACT_KEY

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        from datetime import date

        from ml.forecasting.features import build_series

        forecast_date = date.fromisoformat((params or {})["forecast_date"])
        series = build_series(model_input, self.fitted.config, as_of=forecast_date)
        return self.fitted.forecast(series, None, forecast_date)


def pip_requirements() -> list[str]:
    return pinned_requirements(
        "torch", "lightning", "statsmodels", "pandas", "numpy", "scikit-learn", "joblib"
    )


def load_forecaster(model_uri: str) -> RevenueForecaster:
    """Load a registered forecaster (``models:/revenue_forecast/3``)."""
    return load_fitted(model_uri, MOVED_MODULES)
