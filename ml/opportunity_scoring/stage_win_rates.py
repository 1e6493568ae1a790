"""The stage win rates: what deal scoring publishes below Einstein's minimum or before a
first champion, and the reference a deal model must beat at the gate.

A deal's rate is the share of the *amount* that was won among the mature closed deals
like it: in the same stage, the same band of time in that stage against the stage's
usual (median) time, and the same band of amount. Each choice answers what the deals
open on past nights showed (docs/deal-scoring.md, "The stage win rates, by value"):

- **every snapshot counts**, not each deal once: a deal that lingers in a stage is open
  on more nights, and lingering deals lose more;
- **time in stage** splits each stage in three bands (:data:`TIME_BANDS`), so a deal
  stuck for twice its stage's usual time is not priced like a fresh one;
- **by value** ("win rate by value", as sales teams quote it), **within bands of
  amount** (:data:`AMOUNT_QUANTILES`): the largest deals lose more often, so a count
  rate times the amount overstated the open pipeline's value 1.36-2.14 times on seven
  8,000-lead data sets; by value alone, a small deal's rate leaned towards what its
  stage's largest did, and the bands keep it nearer its own (per deal the rates are
  still less calibrated than counted ones on some data: the docs say where). A deal
  with no amount weighs as the median deal and has no amount band.

Each stage's rate is shrunk towards the overall rate, each time band's towards its
stage's, and each amount band's towards its time band's, with ``pseudo`` pseudo-deals
of the average deal's weight.
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
# The amount bands' bounds, as quantiles of the fitted snapshots' amounts: the top 5%
# on its own, where the largest deals are.
AMOUNT_QUANTILES = (0.5, 0.8, 0.95)


def time_band(deals: pd.DataFrame) -> pd.Series:
    """Each deal's band of :data:`TIME_BANDS` (None when its time in stage is unknown)."""
    if TIME_IN_STAGE not in deals.columns:
        return pd.Series([None] * len(deals), index=deals.index, dtype=object)
    ratio = pd.to_numeric(deals[TIME_IN_STAGE], errors="coerce").to_numpy(dtype=float)
    names = np.array([name for _, name in TIME_BANDS], dtype=object)
    band = names[np.searchsorted([bound for bound, _ in TIME_BANDS[:-1]], ratio, side="left")]
    return pd.Series(np.where(np.isnan(ratio), None, band), index=deals.index, dtype=object)


def _positive_amounts(deals: pd.DataFrame) -> np.ndarray:
    """Each deal's amount, NaN where it is missing or not positive (or no column)."""
    if AMOUNT not in deals.columns:
        return np.full(len(deals), np.nan)
    amount = pd.to_numeric(deals[AMOUNT], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(amount) & (amount > 0), amount, np.nan)


def amount_band(deals: pd.DataFrame, bounds: tuple[float, ...]) -> pd.Series:
    """Each deal's amount band: how many of ``bounds`` its amount exceeds ("0".."3"),
    None without a positive amount."""
    amount = _positive_amounts(deals)
    band = np.searchsorted(np.asarray(bounds, dtype=float), amount, side="left")
    labels = band.astype(str).astype(object)
    labels[np.isnan(amount)] = None
    return pd.Series(labels, index=deals.index, dtype=object)


def value_weight(deals: pd.DataFrame) -> np.ndarray:
    """Each snapshot's weight (:func:`ml.modelling.weights.by_amount`; 1 for all without
    an amount column)."""
    return by_amount(deals[AMOUNT]) if AMOUNT in deals.columns else np.ones(len(deals))


@dataclass(frozen=True)
class StageWinRates:
    """Rates by value: ``overall``, per stage, per ``"stage|time band"`` and per
    ``"stage|time band|amount band"`` (time band empty where unknown); the amount bands'
    ``amount_bounds``."""

    overall: float
    stages: dict[str, float]
    bands: dict[str, float]
    amounts: dict[str, float]
    amount_bounds: tuple[float, ...]
    deals: int

    def levels(self, deals: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each deal's stage rate, time band rate and amount band rate; a level unknown
        or never seen takes the rate of the level above."""
        stage = deals["stage"].astype(str)
        stage_rate = stage.map(self.stages).fillna(self.overall)
        band_key = stage + "|" + time_band(deals).fillna("")
        band_rate = band_key.map(self.bands).fillna(stage_rate)
        amount_key = band_key + "|" + amount_band(deals, self.amount_bounds).fillna("")
        amount_rate = amount_key.map(self.amounts).fillna(band_rate)
        return (stage_rate.to_numpy(dtype=float), band_rate.to_numpy(dtype=float),
                amount_rate.to_numpy(dtype=float))  # fmt: skip

    def probability(self, deals: pd.DataFrame) -> np.ndarray:
        """The win probability of ``deals`` (``opportunity_features`` rows)."""
        return self.levels(deals)[2]


def _shrunk(frame: pd.DataFrame, keys: list[str], prior: pd.Series, weight: float) -> pd.Series:
    """``frame``'s rate per ``keys`` group, shrunk towards its rows' ``prior``."""
    grouped = frame.assign(prior=prior).groupby(keys)
    sums = grouped[["won", "weight"]].sum()
    return (sums["won"] + weight * grouped["prior"].first()) / (sums["weight"] + weight)


def fit_stage_win_rates(
    rows: pd.DataFrame, label: str, pseudo: int, default: float
) -> StageWinRates:
    """The rates of ``label`` (1/0; NaN rows are left out) over ``rows``, snapshots of
    deals; ``default`` overall when no row is labelled."""
    labelled = rows.dropna(subset=[label])
    if labelled.empty:
        return StageWinRates(default, {}, {}, {}, (), 0)
    weight = value_weight(labelled)
    deals = labelled["opportunity_id"].to_numpy()
    prior_weight = pseudo * float(pd.Series(weight).groupby(deals).sum().mean())
    known = _positive_amounts(labelled)
    known = known[~np.isnan(known)]
    bounds = tuple(float(q) for q in np.quantile(known, AMOUNT_QUANTILES)) if len(known) else ()
    frame = pd.DataFrame({
        "stage": labelled["stage"].astype(str).to_numpy(),
        "band": time_band(labelled).fillna("").to_numpy(),
        "amount": amount_band(labelled, bounds).fillna("").to_numpy(),
        "won": labelled[label].to_numpy(dtype=float) * weight,
        "weight": weight,
    })  # fmt: skip
    overall = float(frame["won"].sum() / frame["weight"].sum())
    stages = _shrunk(frame, ["stage"], pd.Series(overall, index=frame.index), prior_weight)
    stage_rate = frame["stage"].map(stages)
    timed = frame["band"] != ""
    bands = _shrunk(frame[timed], ["stage", "band"], stage_rate[timed], prior_weight)
    band_rate = (frame["stage"] + "|" + frame["band"]).map(
        {f"{s}|{b}": v for (s, b), v in bands.items()}
    ).fillna(stage_rate)  # fmt: skip
    sized = frame["amount"] != ""
    amounts = _shrunk(frame[sized], ["stage", "band", "amount"], band_rate[sized], prior_weight)
    return StageWinRates(
        overall,
        {str(k): float(v) for k, v in stages.items()},
        {f"{s}|{b}": float(v) for (s, b), v in bands.items()},
        {f"{s}|{b}|{a}": float(v) for (s, b, a), v in amounts.items()},
        bounds,
        int(pd.unique(deals).size),
    )
