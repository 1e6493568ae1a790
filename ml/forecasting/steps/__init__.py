"""Revenue forecasting as the DAGs and the CLI call it: the only entry points of the use case."""

from ml.forecasting.steps.forecast import (
    MANUAL,
    ForecastOutcome,
    forecast_revenue,
    train_revenue_model,
)

__all__ = ["MANUAL", "ForecastOutcome", "forecast_revenue", "train_revenue_model"]
