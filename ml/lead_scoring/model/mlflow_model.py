"""The model-from-code file MLflow stores with every lead model version.

MLflow copies this file into the model and runs it on load, instead of unpickling a
Python object (its recommended form; cloudpickled classes break across code changes).
"""

from mlflow.models import set_model

from ml.lead_scoring.model.pyfunc import LeadScoringPyfunc

set_model(LeadScoringPyfunc())
