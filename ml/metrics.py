"""Classification metrics shared by lead scoring (holdout) and monitoring (realised).

Pure functions on arrays: labels ``y`` are 0/1, probabilities ``p`` in [0, 1].
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score


@dataclass(frozen=True)
class ClassificationMetrics:
    """What a probability model scored on one set of labelled rows."""

    rows: int
    positives: int
    roc_auc: float
    pr_auc: float
    log_loss: float
    brier: float
    expected_calibration_error: float
    top_decile_lift: float

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over ``bins`` equal-count bins of ``p``.

    The row-weighted mean of |mean predicted - observed rate| per bin. Equal-count bins
    (not equal-width) because lead probabilities crowd near zero: equal-width bins would
    put almost every row in the first bin and hide miscalibration there.

    Raises:
        ValueError: ``y`` and ``p`` differ in length, or are empty.
    """
    y, p = _checked(y, p)
    order = np.argsort(p, kind="stable")
    error = 0.0
    for chunk in np.array_split(order, min(bins, len(p))):
        error += len(chunk) * abs(float(p[chunk].mean()) - float(y[chunk].mean()))
    return error / len(p)


def calibration_noise_floor(
    p: np.ndarray, bins: int = 10, draws: int = 200, quantile: float = 0.95, seed: int = 0
) -> float:
    """The ECE a perfectly calibrated model would still show on these rows, by chance.

    Outcomes are drawn from ``p`` itself ``draws`` times; the ``quantile`` of their ECE is
    how high chance alone goes on this many rows. On 600 rows it is about 0.05, so a fixed
    limit of 0.05 would refuse a well-calibrated model half the time on a small holdout.
    Deterministic for a seed.
    """
    p = np.asarray(p, dtype=float)
    if len(p) == 0:
        raise ValueError("no rows to score")
    rng = np.random.default_rng(seed)
    errors = [
        expected_calibration_error((rng.random(len(p)) < p).astype(float), p, bins)
        for _ in range(draws)
    ]
    return float(np.quantile(errors, quantile))


def top_decile_lift(y: np.ndarray, p: np.ndarray) -> float:
    """Conversion rate among the top 10% by ``p``, divided by the overall rate.

    Ties at the cut-off are broken by row order, so the top decile is exactly
    ``ceil(n / 10)`` rows. Returns NaN when there is no positive.
    """
    y, p = _checked(y, p)
    overall = y.mean()
    if overall == 0:
        return float("nan")
    top = np.argsort(-p, kind="stable")[: int(np.ceil(len(p) / 10))]
    return float(y[top].mean() / overall)


def classification_metrics(y: np.ndarray, p: np.ndarray) -> ClassificationMetrics:
    """All holdout metrics at once. AUCs are NaN when only one class is present.

    Raises:
        ValueError: ``y`` and ``p`` differ in length, or are empty.
    """
    y, p = _checked(y, p)
    both_classes = 0 < y.sum() < len(y)
    clipped = np.clip(p, 1e-15, 1 - 1e-15)
    return ClassificationMetrics(
        rows=len(y),
        positives=int(y.sum()),
        roc_auc=float(roc_auc_score(y, p)) if both_classes else float("nan"),
        pr_auc=float(average_precision_score(y, p)) if both_classes else float("nan"),
        log_loss=float(log_loss(y, clipped, labels=[0, 1])),
        brier=float(brier_score_loss(y, p)),
        expected_calibration_error=expected_calibration_error(y, p),
        top_decile_lift=top_decile_lift(y, p),
    )


def _checked(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if len(y) != len(p):
        raise ValueError(f"labels and probabilities differ in length: {len(y)} vs {len(p)}")
    if len(y) == 0:
        raise ValueError("no rows to score")
    return y, p
