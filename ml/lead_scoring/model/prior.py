"""The documented fallback when no model may score: a smoothed conversion rate per source.

Used when no champion has been promoted yet (too little data: fewer mature leads or
conversions than the sufficiency minimums). Each lead gets the conversion rate of its
lead source among mature leads, shrunk toward the overall rate with
``prior_pseudo_leads`` pseudo-leads, so a source seen ten times does not get 0% or
100%. With no mature lead at all, every lead gets ``prior_default_rate``. Its one factor
is the source, with its impact on the log-odds against the overall rate; rows are
flagged ``scoring_method = 'prior'``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.lead_scoring.features import LABEL

PRIOR_MODEL_NAME = "lead_scoring_prior"


@dataclass(frozen=True)
class SourcePrior:
    """Conversion rate per source and overall, and how many mature leads they come from."""

    overall_rate: float
    rate_by_source: dict[str, float]
    mature_leads: int

    def probability(self, sources: pd.Series) -> np.ndarray:
        return sources.map(self.rate_by_source).fillna(self.overall_rate).to_numpy(float)


def fit_source_prior(rows: pd.DataFrame, pseudo_leads: int, default_rate: float) -> SourcePrior:
    """Smoothed rates from labelled snapshots (one vote per lead, its latest source)."""
    if rows.empty:
        return SourcePrior(default_rate, {}, 0)
    leads = rows.groupby("lead_id", sort=False).agg(source=("source", "last"), label=(LABEL, "max"))
    overall = float(leads["label"].mean())
    counts = leads.groupby(leads["source"].fillna("(missing)"))["label"].agg(["sum", "count"])
    rates = (counts["sum"] + pseudo_leads * overall) / (counts["count"] + pseudo_leads)
    return SourcePrior(overall, {str(k): float(v) for k, v in rates.items()}, len(leads))


def prior_factors(prior: SourcePrior, sources: pd.Series) -> pd.DataFrame:
    """The long factor table (as :func:`ml.modelling.model.top_factor_rows`) for
    the prior."""
    probability = np.clip(prior.probability(sources), 1e-6, 1 - 1e-6)
    base = np.clip(prior.overall_rate, 1e-6, 1 - 1e-6)
    impact = np.round(np.log(probability / (1 - probability)) - np.log(base / (1 - base)), 4)
    keep = np.abs(impact) > 1e-6
    return pd.DataFrame(
        {
            "row": np.flatnonzero(keep),
            "direction": np.where(impact[keep] > 0, "positive", "negative"),
            "rank": 1,
            "feature": "source",
            "label": "Lead source",
            "value": sources.fillna("missing").astype(str).to_numpy()[keep],
            "impact": impact[keep],
            # the source moves the probability from the overall rate to its own rate
            "probability_effect": np.round(probability - base, 4)[keep],
        }
    )
