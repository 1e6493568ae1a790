"""Whether tonight's monitoring asks for a model to be retrained.

Drift never blocks scoring: tonight's scores are written whatever this says. This
only decides whether to start a retraining, from three signals, each of which is
enough on its own:

- data drift: the share of drifted features reached ``share_drifted_features``;
- prediction drift: the score distribution drifted from the reference's;
- realised performance: the realised AUC fell at least ``auc_drop`` below the AUC
  the champion had when it was promoted.

A retraining started less than ``cooldown_days`` ago suppresses a new one (its
model may not even be promoted yet); the alerts are still reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from ml.monitoring.config import DriftConfig


@dataclass(frozen=True)
class RetrainDecision:
    """The verdict and the human-readable reasons for it."""

    retrain: bool
    alerts: list[str] = field(default_factory=list)  # one line per signal that fired
    suppressed_by_cooldown: bool = False

    @property
    def summary(self) -> str:
        """One line for logs and notifications."""
        if not self.alerts:
            return "no drift alert: no retraining."
        verdict = (
            "retraining suppressed by the cooldown"
            if self.suppressed_by_cooldown
            else "retraining requested"
        )
        return f"{verdict}: " + "; ".join(self.alerts)


def decide_retraining(
    *,
    share_drifted: float,
    prediction_drifted: bool,
    realised_auc: float | None,
    promotion_auc: float | None,
    last_retrained: dt.date | None,
    run_date: dt.date,
    config: DriftConfig,
    drifted_features: Sequence[str] = (),
) -> RetrainDecision:
    """Decide whether to retrain, and say why.

    Args:
        share_drifted: share of features that drifted tonight (``DriftResult.share_drifted``).
        prediction_drifted: the prediction-drift verdict.
        realised_auc: the latest realised AUC of the champion (e.g. the ``roc_auc`` of
            the latest matured score date), or None when no labels have matured yet.
        promotion_auc: the champion's holdout AUC when it was promoted, or None.
        last_retrained: the run date of the last retraining this triggered, if any.
        run_date: tonight's business date.
        config: thresholds and cooldown.
        drifted_features: names of the drifted features, only to name them in the alert.

    Returns:
        A :class:`RetrainDecision`.

    Raises:
        ValueError: ``share_drifted`` outside [0, 1], or ``last_retrained`` after ``run_date``.
    """
    if not 0 <= share_drifted <= 1:  # also refuses NaN
        raise ValueError(f"share_drifted must be between 0 and 1, got {share_drifted!r}.")
    if last_retrained is not None and last_retrained > run_date:
        raise ValueError(f"last_retrained ({last_retrained}) is after the run date ({run_date}).")
    alerts = []
    if share_drifted >= config.share_drifted_features:
        named = f" ({', '.join(drifted_features)})" if drifted_features else ""
        alerts.append(
            f"data drift: {share_drifted:.0%} of features drifted{named}, "
            f"threshold {config.share_drifted_features:.0%}"
        )
    if prediction_drifted:
        alerts.append("prediction drift: tonight's scores are distributed unlike the reference's")
    if realised_auc is not None and promotion_auc is not None:
        drop = promotion_auc - realised_auc  # NaN (an AUC with one class only) never alerts
        if drop >= config.auc_drop - 1e-9:  # 0.80 - 0.75 must count as a drop of 0.05
            alerts.append(
                f"performance: realised AUC {realised_auc:.3f} is {drop:.3f} below "
                f"{promotion_auc:.3f} at promotion, allowed drop {config.auc_drop:.3f}"
            )
    if not alerts:
        return RetrainDecision(retrain=False)
    cooling = last_retrained is not None and (run_date - last_retrained).days < config.cooldown_days
    return RetrainDecision(retrain=not cooling, alerts=alerts, suppressed_by_cooldown=cooling)
