"""The model-from-code file MLflow stores with every deal model version."""

from mlflow.models import set_model

from ml.opportunity_scoring.pyfunc import DealScoringPyfunc

set_model(DealScoringPyfunc())
