"""Deal scoring's monitoring: what is deal-specific, around :mod:`ml.monitoring`.

- when a deal's label is known: once the deal is won or lost by ``as_of``; a deal still
  open is censored, left out (counted in ``rows_excluded``), never a loss. A score date
  is judged once it is ``maturity_days`` old, so most of its deals have closed
  (:func:`realised_deal_performance`);
- the night's drift, verdict and ``drift_runs`` row are the shared
  :mod:`ml.monitoring.night` (:func:`assess_night`, :func:`run_row`), with the same
  retraining trigger as every model (:func:`ml.monitoring.decide_retraining`).

The step that reads and writes is ``ml.opportunity_scoring.steps.monitor.monitor_deal_model``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ml.monitoring import realised_classification_performance
from ml.monitoring.night import NightAssessment, assess_night, run_row, with_versions

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


def performance_history(
    scores: pd.DataFrame,
    outcomes: pd.DataFrame,
    business_date: dt.date,
    maturity_days: int,
    model_name: str,
) -> pd.DataFrame:
    """``monitoring.model_performance`` rows: :func:`realised_deal_performance` of every
    judged score date with the version(s) that scored it. Empty without scores."""
    if scores.empty:
        return pd.DataFrame()
    realised = realised_deal_performance(scores, outcomes, business_date, maturity_days)
    return with_versions(
        realised, scores, model_name=model_name, evaluated_on=business_date,
        label_window_days=maturity_days,
    )  # fmt: skip


__all__ = ["NightAssessment", "assess_night", "performance_history",
           "realised_deal_performance", "run_row"]  # fmt: skip
