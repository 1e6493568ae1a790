"""The hyper-parameters of the two explainable candidates, as frozen dataclasses that a
use case's configuration nests and logs to MLflow as parameters."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LogisticParams:
    """The baseline: one-hot + scaled logistic regression."""

    C: float = 0.5
    max_iter: int = 500


@dataclass(frozen=True)
class XGBoostParams:
    """XGBoost ``hist`` trees; early stopping on the calibration slice caps the rounds."""

    n_estimators: int = 400
    max_depth: int = 5
    learning_rate: float = 0.08
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    min_child_weight: float = 5.0
    reg_lambda: float = 1.0
    early_stopping_rounds: int = 30
    n_jobs: int = 2
