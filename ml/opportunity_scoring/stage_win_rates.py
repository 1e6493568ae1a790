"""The stage win rates: what deal scoring publishes below Einstein's minimum or before a
first champion, and the reference a deal model must beat at the gate.

A deal's rate is the share of the *amount* that was won among the mature closed deals
like it: in the same stage, and in the same band of time in that stage against the
stage's usual (median) time. Each choice answers what the deals open on past nights
showed (docs/deal-scoring.md, "The stage win rates"):

- **every snapshot counts**, not each deal once: a deal that lingers in a stage is open
  on more nights, and lingering deals lose more;
- **time in stage** splits each stage in three bands (:data:`TIME_BANDS`), so a deal
  stuck for twice its stage's usual time is not priced like a fresh one;
- **by value** ("win rate by value", as sales teams quote it): the largest deals lose
  more often, so a count rate times the amount overstated the open pipeline's value 1.4
  to 1.6 times on 8,000-lead data sets. A deal with no amount counts as a deal of the
  median amount, so an export without amounts still gets count rates.

Each stage's rate is shrunk towards the overall rate, and each band's towards its
stage's, with ``pseudo`` pseudo-deals of the average deal's weight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.modelling.weights import by_amount

TIME_IN_STAGE = "days_in_stage_vs_median"
AMOUNT = "amount_in_default_currency"
# Upper bound of each band of days in the stage over the stage's median, and its name.
TIME_BANDS = ((1.0, "within the usual time"), (2.0, "up to twice the usual time"),
              (np.inf, "over twice the usual time"))  # fmt: skip


def time_band(deals: pd.DataFrame) -> pd.Series:
    """Each deal's band of :data:`TIME_BANDS` (None when its time in stage is unknown)."""
    if TIME_IN_STAGE not in deals.columns:
        return pd.Series([None] * len(deals), index=deals.index, dtype=object)
    ratio = pd.to_numeric(deals[TIME_IN_STAGE], errors="coerce").to_numpy(dtype=float)
    names = np.array([name for _, name in TIME_BANDS], dtype=object)
    band = names[np.searchsorted([bound for bound, _ in TIME_BANDS[:-1]], ratio, side="left")]
    return pd.Series(np.where(np.isnan(ratio), None, band), index=deals.index, dtype=object)


def value_weight(deals: pd.DataFrame) -> np.ndarray:
    """Each snapshot's weight (:func:`ml.modelling.weights.by_amount`; 1 for all without
    an amount column)."""
    return by_amount(deals[AMOUNT]) if AMOUNT in deals.columns else np.ones(len(deals))


@dataclass(frozen=True)
class StageWinRates:
    """Rates by value: ``overall``, per stage, and per ``"stage|band"``."""

    overall: float
    stages: dict[str, float]
    bands: dict[str, float]
    deals: int

    def stage_and_band(self, deals: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Each deal's stage rate, and its band's rate (the stage's where the band is
        unknown or was never seen)."""
        stage_rate = deals["stage"].astype(str).map(self.stages).fillna(self.overall)
        keys = deals["stage"].astype(str) + "|" + time_band(deals).fillna("")
        band_rate = keys.map(self.bands).fillna(stage_rate)
        return stage_rate.to_numpy(dtype=float), band_rate.to_numpy(dtype=float)

    def probability(self, deals: pd.DataFrame) -> np.ndarray:
        """The win probability of ``deals`` (``opportunity_features`` rows)."""
        return self.stage_and_band(deals)[1]


def fit_stage_win_rates(
    rows: pd.DataFrame, label: str, pseudo: int, default: float
) -> StageWinRates:
    """The rates of ``label`` (1/0; NaN rows are left out) over ``rows``, snapshots of
    deals; ``default`` overall when no row is labelled."""
    labelled = rows.dropna(subset=[label])
    if labelled.empty:
        return StageWinRates(default, {}, {}, 0)
    weight = value_weight(labelled)
    won = labelled[label].to_numpy(dtype=float) * weight
    deals = labelled["opportunity_id"].to_numpy()
    prior_weight = pseudo * float(pd.Series(weight).groupby(deals).sum().mean())
    overall = float(won.sum() / weight.sum())
    stage = labelled["stage"].astype(str).to_numpy()
    frame = pd.DataFrame({"stage": stage, "band": time_band(labelled).to_numpy(),
                          "won": won, "weight": weight})  # fmt: skip
    per_stage = frame.groupby("stage")[["won", "weight"]].sum()
    stages = (per_stage["won"] + prior_weight * overall) / (per_stage["weight"] + prior_weight)
    per_band = frame.dropna(subset=["band"]).groupby(["stage", "band"])[["won", "weight"]].sum()
    stage_rate = stages.reindex(per_band.index.get_level_values("stage")).to_numpy()
    bands = (per_band["won"] + prior_weight * stage_rate) / (per_band["weight"] + prior_weight)
    return StageWinRates(
        overall,
        {str(k): float(v) for k, v in stages.items()},
        {f"{s}|{b}": float(v) for (s, b), v in bands.items()},
        int(pd.unique(deals).size),
    )
