"""The revenue forecaster as an MLflow pyfunc.

Any MLflow client can load a version and call ``predict`` with ``marts.daily_revenue``
rows and ``params={"forecast_date": "YYYY-MM-DD"}``; it returns the forecast rows. The
generic interface carries no market indicators, so a version whose champion is the LSTM
forecasts there with neutral covariates; salespipe's own steps unwrap the model and pass
the indicators (:func:`load_forecaster`).
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import joblib
import mlflow.pyfunc
import pandas as pd

from ml.forecasting.forecaster import RevenueForecaster

ARTIFACT_KEY = "revenue_forecaster"


class RevenueForecastPyfunc(mlflow.pyfunc.PythonModel):
    """``predict``: daily revenue rows in, forecast rows (``FORECAST_COLUMNS``) out."""

    forecaster: RevenueForecaster | None = None

    def load_context(self, context) -> None:
        self.forecaster = joblib.load(context.artifacts[ARTIFACT_KEY])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        from datetime import date

        from ml.forecasting.series import build_series

        forecast_date = date.fromisoformat((params or {})["forecast_date"])
        series = build_series(model_input, self.forecaster.config, as_of=forecast_date)
        return self.forecaster.forecast(series, None, forecast_date)


def pip_requirements() -> list[str]:
    names = ("torch", "lightning", "statsmodels", "pandas", "numpy", "scikit-learn", "joblib")
    return [f"{name}=={version(name)}" for name in names]


def save_forecaster(forecaster: RevenueForecaster, folder: Path) -> Path:
    path = folder / "revenue_forecaster.joblib"
    joblib.dump(forecaster, path)
    return path


def load_forecaster(model_uri: str) -> RevenueForecaster:
    return mlflow.pyfunc.load_model(model_uri).unwrap_python_model().forecaster
