"""The model-from-code file MLflow stores with every revenue forecaster version."""

from mlflow.models import set_model

from ml.forecasting.models.forecaster import RevenueForecastPyfunc

set_model(RevenueForecastPyfunc())
