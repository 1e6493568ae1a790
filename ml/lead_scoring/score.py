"""The rows of ``ml.lead_scores`` (CONTRACT.md section 3) for one scoring date.

- ``conversion_probability``: calibrated probability of converting within the label
  window;
- ``score``: that probability on a 0-100 scale (rounded), so 40 means "40% likely";
- ``is_stale``: the lead is open but nothing has happened on it (no activity, or no
  activity since creation) for more than ``stale_after_days``: it is still scored, but
  kept out of the active population's percentiles and grades (both null);
- ``percentile``: the share of tonight's active (not stale) leads at or below this
  probability;
- ``grade``: A-D, by ``grade_method``: ``rank`` (the default) gives A to the top
  ``grade_shares[0]`` of tonight's active leads by probability, B to the next
  ``grade_shares[1]``, C to the next ``grade_shares[2]`` and D to the rest, so a rep
  always has a short A list to call first; ``probability`` uses fixed probability bands
  (``grade_cutoffs``, default A >= 50%, B >= 30%, C >= 15%), so a grade means the same
  likelihood every night, whatever the mix (see docs/lead-scoring.md for the choice);
- ``scoring_method``: ``model`` (a registered champion) or ``prior`` (the documented
  fallback when none is promoted, see :mod:`ml.lead_scoring.model.prior`).
"""

from __future__ import annotations

import logging
from datetime import date, datetime

import numpy as np
import pandas as pd

from ml.lead_scoring.config import LeadScoringConfig
from ml.lead_scoring.features import model_inputs, readable_name
from ml.lead_scoring.model.prior import PRIOR_MODEL_NAME, fit_source_prior, prior_factors
from ml.modelling.model import top_factor_rows

log = logging.getLogger(__name__)

MODEL, PRIOR = "model", "prior"
RANK, PROBABILITY = "rank", "probability"

LEAD_SCORE_COLUMNS = (
    "lead_id", "score_date", "conversion_probability", "score", "percentile", "grade",
    "top_factors", "model_name", "model_version", "scoring_method", "scored_at", "is_stale",
)  # fmt: skip


def grades(probability: np.ndarray, cutoffs: tuple[float, float, float]) -> np.ndarray:
    """A, B, C or D per probability: A at or above ``cutoffs[0]``, and so on down."""
    a, b, c = cutoffs
    return np.select(
        [probability >= a, probability >= b, probability >= c], ["A", "B", "C"], default="D"
    )


def rank_grades(probability: np.ndarray, shares: tuple[float, float, float]) -> np.ndarray:
    """A, B, C or D per probability by rank: the top ``shares[0]`` of the rows get A, the
    next ``shares[1]`` B, the next ``shares[2]`` C, the rest D.

    Ties share the better grade (a lead is graded by the share of leads strictly above it).
    """
    probability = np.asarray(probability, dtype=np.float64)
    if not len(probability):
        return np.array([], dtype=object)
    above = len(probability) - pd.Series(probability).rank(method="max").to_numpy()
    bounds = np.round(np.cumsum(shares) * len(probability), 6)  # counts, free of float drift
    return np.select(
        [above < bounds[0], above < bounds[1], above < bounds[2]], ["A", "B", "C"], default="D"
    )


def stale_leads(leads: pd.DataFrame, stale_after_days: int) -> np.ndarray:
    """True for each lead with no activity for more than ``stale_after_days`` days: days
    since its last activity, or its age when it never had one."""
    idle = leads["days_since_last_activity"].astype("float64")
    idle = idle.fillna(leads["lead_age_days"].astype("float64"))
    return (idle > stale_after_days).to_numpy()


def lead_scores_frame(
    lead_ids: pd.Series,
    probability: np.ndarray,
    top_factors: np.ndarray,
    *,
    score_date: date,
    model_name: str,
    model_version: str,
    scoring_method: str,
    scored_at: datetime,
    grade_cutoffs: tuple[float, float, float],
    stale: np.ndarray | None = None,
    grade_method: str = PROBABILITY,
    grade_shares: tuple[float, float, float] = (0.1, 0.2, 0.3),
) -> pd.DataFrame:
    """Assemble the contract's columns, one row per lead.

    ``stale`` (default: none) marks leads kept out of percentiles and grades; grades are
    ranks within the active leads (``grade_method`` ``rank``, by ``grade_shares``) or
    probability bands (``probability``, by ``grade_cutoffs``).

    Raises:
        ValueError: inputs differ in length, or a lead appears twice.
    """
    if not len(lead_ids) == len(probability) == len(top_factors):
        raise ValueError("lead ids, probabilities and factors differ in length")
    if lead_ids.duplicated().any():
        raise ValueError(f"lead {lead_ids[lead_ids.duplicated()].iloc[0]} is scored twice")
    probability = np.clip(np.asarray(probability, dtype=np.float64), 0.0, 1.0)
    stale = np.zeros(len(probability), bool) if stale is None else np.asarray(stale, bool)
    active = ~stale
    percentile = np.full(len(probability), np.nan)
    percentile[active] = pd.Series(probability[active]).rank(method="max", pct=True) * 100
    grade = np.full(len(probability), None, dtype=object)
    if grade_method == RANK:
        grade[active] = rank_grades(probability[active], grade_shares)
    else:
        grade[active] = grades(probability[active], grade_cutoffs)
    return pd.DataFrame(
        {
            "lead_id": lead_ids.to_numpy(),
            "score_date": pd.Timestamp(score_date),
            "conversion_probability": probability,
            "score": np.rint(probability * 100).astype(np.int16),
            "percentile": np.round(percentile, 2),
            "grade": grade,
            "top_factors": top_factors,
            "model_name": model_name,
            "model_version": model_version,
            "scoring_method": scoring_method,
            "scored_at": pd.Timestamp(scored_at).tz_localize(None)
            if pd.Timestamp(scored_at).tzinfo
            else pd.Timestamp(scored_at),
            "is_stale": stale,
        },
        columns=list(LEAD_SCORE_COLUMNS),
    )


def score_with_model(
    model, leads: pd.DataFrame, top_factors: int
) -> tuple[np.ndarray, pd.DataFrame]:
    """Probabilities and the long table of top factors of ``lead_features`` rows, from a
    loaded ExplainableModel: the nightly's scoring, and the online API's (ml/serving)."""
    inputs = model_inputs(leads, model.spec)
    if inputs.empty:
        return np.array([]), _no_factors()
    contributions, bias = model.contributions(inputs)
    margin = contributions.sum(axis=1) + bias
    probability = 1.0 / (1.0 + np.exp(-margin))
    long = top_factor_rows(
        contributions, inputs, model.spec.columns, top_factors, margin, readable_name
    )
    return probability, long


def score_with_prior(
    leads: pd.DataFrame, labelled: pd.DataFrame, business_date: date, config: LeadScoringConfig
) -> tuple[np.ndarray, pd.DataFrame, str, str, str]:
    """Probabilities and factors of ``leads`` from the source prior fitted on ``labelled``
    (no champion yet), with the prior's model name, version and scoring method."""
    prior = fit_source_prior(labelled, config.prior_pseudo_leads, config.prior_default_rate)
    log.warning(
        "no lead_scoring champion: scoring with the source prior "
        "(%d mature leads, overall rate %.3f)",
        prior.mature_leads, prior.overall_rate,
    )  # fmt: skip
    version = f"{business_date.isoformat()}-{prior.mature_leads}leads"
    return (
        prior.probability(leads["source"]),
        prior_factors(prior, leads["source"]) if len(leads) else _no_factors(),
        PRIOR_MODEL_NAME,
        version,
        PRIOR,
    )


def _no_factors() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=t) for c, t in [("row", "int64"), ("direction", "object"),
         ("rank", "int64"), ("feature", "object"), ("label", "object"), ("value", "object"),
         ("impact", "float64"), ("probability_effect", "float64")]}
    )  # fmt: skip
