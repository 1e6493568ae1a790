"""The model-from-code file MLflow stores with every revenue forecaster version."""

from mlflow.models import set_model

from ml.forecasting.models.pyfunc import RevenueForecastPyfunc

set_model(RevenueForecastPyfunc())
