"""The rows of ``ml.lead_scores`` (CONTRACT.md section 3) for one scoring date.

- ``conversion_probability``: calibrated probability of converting within the label
  window;
- ``score``: that probability on a 0-100 scale (rounded), so 40 means "40% likely";
- ``percentile``: the share of tonight's scored leads at or below this probability;
- ``grade``: A-D from the probability with the configured cut-offs (default A >= 50%,
  B >= 30%, C >= 15%): a grade means the same likelihood every night, whatever the mix;
- ``scoring_method``: ``model`` (a registered champion) or ``prior`` (the documented
  fallback when none is promoted, see :mod:`ml.lead_scoring.prior`).
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

MODEL, PRIOR = "model", "prior"

LEAD_SCORE_COLUMNS = (
    "lead_id", "score_date", "conversion_probability", "score", "percentile", "grade",
    "top_factors", "model_name", "model_version", "scoring_method", "scored_at",
)  # fmt: skip


def grades(probability: np.ndarray, cutoffs: tuple[float, float, float]) -> np.ndarray:
    """A, B, C or D per probability: A at or above ``cutoffs[0]``, and so on down."""
    a, b, c = cutoffs
    return np.select(
        [probability >= a, probability >= b, probability >= c], ["A", "B", "C"], default="D"
    )


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
) -> pd.DataFrame:
    """Assemble the contract's columns, one row per lead.

    Raises:
        ValueError: inputs differ in length, or a lead appears twice.
    """
    if not len(lead_ids) == len(probability) == len(top_factors):
        raise ValueError("lead ids, probabilities and factors differ in length")
    if lead_ids.duplicated().any():
        raise ValueError(f"lead {lead_ids[lead_ids.duplicated()].iloc[0]} is scored twice")
    probability = np.clip(np.asarray(probability, dtype=np.float64), 0.0, 1.0)
    percentile = pd.Series(probability).rank(method="max", pct=True).to_numpy() * 100
    return pd.DataFrame(
        {
            "lead_id": lead_ids.to_numpy(),
            "score_date": pd.Timestamp(score_date),
            "conversion_probability": probability,
            "score": np.rint(probability * 100).astype(np.int16),
            "percentile": np.round(percentile, 2),
            "grade": grades(probability, grade_cutoffs),
            "top_factors": top_factors,
            "model_name": model_name,
            "model_version": model_version,
            "scoring_method": scoring_method,
            "scored_at": pd.Timestamp(scored_at).tz_localize(None)
            if pd.Timestamp(scored_at).tzinfo
            else pd.Timestamp(scored_at),
        },
        columns=list(LEAD_SCORE_COLUMNS),
    )
