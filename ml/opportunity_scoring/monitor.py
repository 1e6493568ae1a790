"""Deal scoring's monitoring: what is deal-specific, around :mod:`ml.monitoring`.

- when a deal's label is known: once the deal is won or lost by ``as_of``; a deal still
  open is censored, left out (counted in ``rows_excluded``), never a loss. A score date
  is judged once it is ``maturity_days`` old, so most of its deals have closed
  (:func:`realised_deal_performance`);
- the night's drift and verdict (:func:`assess_night`), with the same retraining
  trigger as every model (:func:`ml.monitoring.decide_retraining`).

The step that reads and writes is ``ml.opportunity_scoring.steps.monitor_deal_model``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import pandas as pd

from ml.monitoring import (
    PREDICTION,
    DriftConfig,
    DriftResult,
    RetrainDecision,
    decide_retraining,
    measure_data_drift,
    measure_prediction_drift,
    realised_classification_performance,
)

SCORE_COLUMNS = ("opportunity_id", "score_date", "win_probability")
OUTCOME_COLUMNS = ("opportunity_id", "outcome", "closed_on")


def realised_deal_performance(
    scores: pd.DataFrame, outcomes: pd.DataFrame, as_of: dt.date, maturity_days: int
) -> pd.DataFrame:
    """AUC, calibration and lift of the win probabilities of score dates at least
    ``maturity_days`` before ``as_of``, over their deals closed by ``as_of``.

    Takes ``ml.opportunity_scores`` rows and one ``opportunity_outcomes`` row per deal.
    Returns the rows of :func:`ml.monitoring.realised_classification_performance`, one
    per judged score date.

    Raises:
        ValueError: a column is missing, or a deal has more than one outcome row.
    """
    for name, frame, needed in (("scores", scores, SCORE_COLUMNS),
                                ("outcomes", outcomes, OUTCOME_COLUMNS)):  # fmt: skip
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} is missing the column(s) {', '.join(missing)}.")
    if outcomes["opportunity_id"].duplicated().any():
        raise ValueError("outcomes must have one row per deal; some opportunity_id appear twice.")
    closed_by = outcomes["outcome"].isin(["won", "lost"]) & (
        pd.to_datetime(outcomes["closed_on"]) <= pd.Timestamp(as_of)
    )
    labels = pd.DataFrame(
        {
            "opportunity_id": outcomes["opportunity_id"],
            "label": (outcomes["outcome"] == "won").astype(object).where(closed_by),
        }
    )
    old = pd.to_datetime(scores["score_date"]) <= pd.Timestamp(
        as_of - dt.timedelta(days=maturity_days)
    )
    judged = scores.loc[old, list(SCORE_COLUMNS)].merge(labels, on="opportunity_id", how="left")
    judged["known"] = True  # an open deal has no label: left out, not waited for
    return realised_classification_performance(
        judged, by="score_date", probability="win_probability"
    )


@dataclass(frozen=True)
class NightAssessment:
    """Tonight's drift of the deal champion, and what it asks for."""

    data: DriftResult
    prediction: DriftResult
    decision: RetrainDecision

    @property
    def drift_rows(self) -> pd.DataFrame:
        return pd.concat([self.data.rows, self.prediction.rows], ignore_index=True)


def assess_night(
    reference: pd.DataFrame,
    inputs: pd.DataFrame,
    tonight: pd.Series,
    *,
    features: Sequence[str],
    numeric: Collection[str],
    performance: pd.DataFrame,
    promotion_auc: float | None,
    last_retrained: dt.date | None,
    business_date: dt.date,
    config: DriftConfig,
) -> NightAssessment:
    """Compare tonight's open deals and win probabilities with the champion's reference
    sample, and decide whether to retrain.

    Raises:
        ValueError: as :func:`ml.monitoring.measure_data_drift` and
            :func:`ml.monitoring.decide_retraining`.
    """
    data = measure_data_drift(
        reference.drop(columns=PREDICTION), inputs, features, config, numeric=numeric
    )
    prediction = measure_prediction_drift(reference[PREDICTION], tonight, config)
    realised = performance.iloc[-1] if not performance.empty else None
    decision = decide_retraining(
        share_drifted=data.share_drifted,
        prediction_drifted=prediction.drifted,
        realised_auc=None if realised is None else float(realised["roc_auc"]),
        promotion_auc=promotion_auc,
        last_retrained=last_retrained,
        run_date=business_date,
        config=config,
        drifted_features=list(data.rows.loc[data.rows["drifted"], "feature"]),
    )
    return NightAssessment(data, prediction, decision)
