"""The blend of the two win candidates: a weighted average of their calibrated log-odds,
Platt-scaled again, behind the interface scoring reads from a win model (``spec``,
``margin``, ``contributions``, ``predict_proba``, ``calibrate``).

Both members' calibrated log-odds split exactly into one contribution per feature plus a
bias (:mod:`ml.modelling.model`), and the blend is linear in them:
``logit(p) = a * (w * l_lr + (1 - w) * l_xgb) + b``. So a feature's contribution to the
blend is ``a * (w * c_lr + (1 - w) * c_xgb)``, and a row's factors still add up to its
probability exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from ml.modelling.features import FeatureSpec
from ml.modelling.model import ExplainableModel

BLEND = "blend"
# The plain average. A weight chosen on the calibration slice (0, 0.1, ..., 1 by its
# log-loss) was measured too and chose worse than the holdout would have: the slice is
# small (docs/deal-scoring.md).
AVERAGE = (0.5,)


@dataclass
class BlendedModel:
    """``weight`` x the logistic member's calibrated log-odds + the rest x XGBoost's,
    recalibrated (Platt). Pickled into MLflow inside the DealModel."""

    logistic: ExplainableModel
    xgboost: ExplainableModel
    weight: float
    platt_slope: float = 1.0
    platt_intercept: float = 0.0
    kind: str = BLEND

    @property
    def spec(self) -> FeatureSpec:
        return self.logistic.spec

    def margin(self, inputs: pd.DataFrame) -> np.ndarray:
        """The weighted calibrated log-odds of the members, before the blend's Platt."""
        return self.weight * _logit(self.logistic, inputs) + (1 - self.weight) * _logit(
            self.xgboost, inputs
        )

    def margin_contributions(self, inputs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(contributions: rows x spec.columns, bias: rows) adding up to :meth:`margin`."""
        lr, lr_bias = self.logistic.contributions(inputs)
        xgb, xgb_bias = self.xgboost.contributions(inputs)
        w = self.weight
        return w * lr + (1 - w) * xgb, w * lr_bias + (1 - w) * xgb_bias

    def contributions(self, inputs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Exact contributions to the blend's calibrated log-odds, and the bias, per row."""
        contributions, bias = self.margin_contributions(inputs)
        return contributions * self.platt_slope, bias * self.platt_slope + self.platt_intercept

    def predict_proba(self, inputs: pd.DataFrame) -> np.ndarray:
        """Calibrated win probability per row."""
        logit = self.platt_slope * self.margin(inputs) + self.platt_intercept
        return 1.0 / (1.0 + np.exp(-logit))

    def calibrate(self, inputs: pd.DataFrame, labels: np.ndarray) -> None:
        """Fit the blend's Platt slope and intercept on held-back rows (in place)."""
        self.platt_slope, self.platt_intercept = _platt(self.margin(inputs), labels)


def fit_blend(
    logistic: ExplainableModel,
    xgboost: ExplainableModel,
    inputs: pd.DataFrame,
    labels: np.ndarray,
    weights: tuple[float, ...] = AVERAGE,
) -> BlendedModel:
    """The blend of two calibrated members, Platt-scaled on ``inputs`` (the calibration
    slice); with several ``weights``, the one whose blend has the lowest log-loss there
    (ties go to the first).

    Raises:
        ValueError: the members were fitted on different features, or ``weights`` is empty.
    """
    if logistic.spec.columns != xgboost.spec.columns:
        raise ValueError("the blend's members must read the same features")
    if not weights:
        raise ValueError("the blend needs at least one weight to try")
    y = np.asarray(labels, dtype=np.int64)
    lr, xgb = _logit(logistic, inputs), _logit(xgboost, inputs)
    best: tuple[float, float, float, float] | None = None
    for w in weights:
        margin = w * lr + (1 - w) * xgb
        slope, intercept = _platt(margin, y)
        loss = _log_loss(y, slope * margin + intercept)
        if best is None or loss < best[0] - 1e-12:
            best = (loss, float(w), slope, intercept)
    _, w, slope, intercept = best  # type: ignore[misc]
    return BlendedModel(logistic, xgboost, w, slope, intercept)


def _logit(model: ExplainableModel, inputs: pd.DataFrame) -> np.ndarray:
    return model.platt_slope * model.margin(inputs) + model.platt_intercept


def _platt(margin: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    platt = LogisticRegression(C=1e6, max_iter=1000)
    platt.fit(np.asarray(margin, dtype=np.float64).reshape(-1, 1), labels)
    return float(platt.coef_[0, 0]), float(platt.intercept_[0])


def _log_loss(y: np.ndarray, logit: np.ndarray) -> float:
    # log(1 + exp(-z)) for the positives, log(1 + exp(z)) for the negatives, stably
    signed = np.where(y == 1, -logit, logit)
    return float(np.mean(np.logaddexp(0.0, signed)))
