"""Lead scoring as the DAGs and the CLI call it: the only entry points of the use case."""

from ml.lead_scoring.steps.score import (
    MANUAL,
    MonitoringOutcome,
    ScoringOutcome,
    monitor_lead_model,
    score_open_leads,
    train_lead_model,
    train_lead_model_if_due,
)

__all__ = [
    "MANUAL",
    "MonitoringOutcome",
    "ScoringOutcome",
    "monitor_lead_model",
    "score_open_leads",
    "train_lead_model",
    "train_lead_model_if_due",
]
