"""Deal scoring as the DAGs and the CLI call it: the only entry points of the use case.

One module per stage, each thin: it reads (the warehouse, MLflow), calls the pure stage
module beside ``steps/`` and writes through the catalog:

- :mod:`.train`: ``train_deal_model``, ``train_deal_model_if_due`` (mart reads in
  :mod:`.data`, the gate and MLflow artifacts in :mod:`.tracking`);
- :mod:`.score`: ``score_open_deals``;
- :mod:`.monitor`: ``monitor_deal_model``.

Each step opens the working warehouse and MLflow itself and takes the business date
from the DAG run; nothing here asks the clock what day it is.
"""

from ml.opportunity_scoring.steps.monitor import MonitoringOutcome, monitor_deal_model
from ml.opportunity_scoring.steps.score import ScoringOutcome, score_open_deals
from ml.opportunity_scoring.steps.train import train_deal_model, train_deal_model_if_due

__all__ = [
    "MonitoringOutcome",
    "ScoringOutcome",
    "monitor_deal_model",
    "score_open_deals",
    "train_deal_model",
    "train_deal_model_if_due",
]
