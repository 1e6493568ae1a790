"""Holdout figures for a deal model, against the stage win rates on the same rows.

A deal has one snapshot per as-of date it was open, and long-lived deals have many: so
besides every holdout snapshot, each deal is judged once, on its first snapshot (what a
rep sees when the deal is new). Pure: frames and arrays in, numbers out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.metrics import classification_metrics


@dataclass(frozen=True)
class HoldoutEvaluation:
    """AUC and calibration of a model and of the stage win rates on the same snapshots."""

    snapshots: int
    deals: int
    auc: float
    auc_first_snapshot: float
    ece: float
    log_loss: float
    stage_rate_auc: float
    stage_rate_ece: float
    expected_over_won: float  # sum of p * amount over the amount won, all snapshots

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.__dict__.items()}


def evaluate_holdout(
    holdout: pd.DataFrame, labels: np.ndarray, probability: np.ndarray, stage_rate: np.ndarray
) -> HoldoutEvaluation:
    """Judge ``probability`` (and the stage rates) on the ``holdout`` snapshots (with
    ``opportunity_id`` and ``amount_in_default_currency``); ``labels`` are 1 = won.

    Raises:
        ValueError: the inputs differ in length, or the holdout holds a single outcome.
    """
    if not len(holdout) == len(labels) == len(probability) == len(stage_rate):
        raise ValueError(
            f"holdout, labels, probabilities and stage rates differ in length: "
            f"{len(holdout)}, {len(labels)}, {len(probability)}, {len(stage_rate)}"
        )
    y = np.asarray(labels, dtype=float)
    if not 0 < y.sum() < len(y):
        raise ValueError("the holdout holds a single outcome; AUC is undefined")
    metrics = classification_metrics(y, probability)
    stage = classification_metrics(y, stage_rate)
    first = ~holdout["opportunity_id"].duplicated().to_numpy()
    amount = pd.to_numeric(holdout["amount_in_default_currency"], errors="coerce").fillna(0.0)
    won = float((amount.to_numpy() * y).sum())
    return HoldoutEvaluation(
        snapshots=len(y),
        deals=int(first.sum()),
        auc=metrics.roc_auc,
        auc_first_snapshot=classification_metrics(y[first], probability[first]).roc_auc,
        ece=metrics.expected_calibration_error,
        log_loss=metrics.log_loss,
        stage_rate_auc=stage.roc_auc,
        stage_rate_ece=stage.expected_calibration_error,
        expected_over_won=float((amount.to_numpy() * probability).sum()) / won if won else np.nan,
    )


def lift_table(labels: np.ndarray, probability: np.ndarray) -> pd.DataFrame:
    """Win rate and lift per decile of probability (1 = highest)."""
    y = np.asarray(labels, dtype=float)
    deciles = np.array_split(np.argsort(-np.asarray(probability), kind="stable"), 10)
    base = y.mean()
    return pd.DataFrame(
        {
            "decile": range(1, 11),
            "mean_probability": [
                float(np.mean(probability[d])) if len(d) else np.nan for d in deciles
            ],
            "win_rate": [float(y[d].mean()) if len(d) else np.nan for d in deciles],
            "lift": [float(y[d].mean() / base) if len(d) and base else np.nan for d in deciles],
        }
    ).round(3)
