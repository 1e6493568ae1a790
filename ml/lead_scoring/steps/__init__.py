"""Lead scoring as the DAGs and the CLI call it: the only entry points of the use case.

One module per stage, each thin: it reads (the warehouse, MLflow), calls the pure stage
module beside ``steps/`` and writes through the catalog:

- :mod:`.train`: ``train_lead_model``, ``train_lead_model_if_due`` (reads in
  :mod:`.training_rows`, MLflow logging in :mod:`.tracking`);
- :mod:`.score`: ``score_open_leads``;
- :mod:`.monitor`: ``monitor_lead_model``.
"""

from ml.lead_scoring.steps.monitor import MonitoringOutcome, monitor_lead_model
from ml.lead_scoring.steps.score import ScoringOutcome, score_open_leads
from ml.lead_scoring.steps.train import MANUAL, train_lead_model, train_lead_model_if_due

__all__ = [
    "MANUAL",
    "MonitoringOutcome",
    "ScoringOutcome",
    "monitor_lead_model",
    "score_open_leads",
    "train_lead_model",
    "train_lead_model_if_due",
]
