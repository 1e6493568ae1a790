"""Revenue forecasting as the DAGs and the CLI call it: the only entry points of the use case.

One module per stage, each thin: it reads (the warehouse, MLflow), calls the pure stage
modules beside ``steps/`` and writes through the catalog:

- :mod:`.train`: ``train_revenue_model`` (and ``train_if_due``, which the forecast step
  calls);
- :mod:`.forecast`: ``forecast_revenue``, which also records the realised accuracy of
  earlier forecasts (the monitor stage).
"""

from ml.forecasting.steps.forecast import ForecastOutcome, forecast_revenue
from ml.forecasting.steps.train import MANUAL, train_revenue_model

__all__ = ["MANUAL", "ForecastOutcome", "forecast_revenue", "train_revenue_model"]
