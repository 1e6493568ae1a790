"""The rows of ``ml.opportunity_scores`` (CONTRACT.md section 3) for one scoring date.

- ``win_probability``: calibrated probability that the open deal is won;
- ``score``: that probability on Einstein's 1-99 scale;
- ``expected_value``: win_probability times the deal's amount (default currency);
- ``slip_probability``: probability the deal is not closed by its current close date
  (1 for a deal already past it);
- ``expected_close_period``: the first day of the month the deal is expected to close
  in: its close date's month when a slip is unlikely (below one half), otherwise the
  as-of date plus the median days deals in its stage took to close, and never on or
  before the close date it is expected to miss;
- ``top_factors``: JSON, the top positive and negative factors in words (exact
  contributions for a model; for the fallback, the stage against the overall rate, the
  time in stage against the stage's rate and the amount against that, which add up to
  the deal's log-odds);
- ``scoring_method``: ``model`` (a champion scored) or ``stage_win_rate`` (below
  Einstein's minimum of won and lost deals, or before a first champion).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from ml import names
from ml.modelling.model import factors_json, top_factor_rows
from ml.opportunity_scoring.features import (
    SLIPPED,
    WON,
    model_inputs,
    readable_name,
    shown_values,
    sufficiency,
)
from ml.opportunity_scoring.stage_win_rates import (
    AMOUNT,
    TIME_IN_STAGE,
    StageWinRates,
    fit_stage_win_rates,
)
from ml.opportunity_scoring.train import DealModel, StageRates, close_timing, fit_stage_rates

MODEL, STAGE_WIN_RATE = "model", "stage_win_rate"
# The model_name of rows scored by the fallback (the champion's rows carry the model's).
STAGE_RATES_MODEL = "stage_win_rates"
SCORE_COLUMNS = (
    "opportunity_id", "score_date", "win_probability", "score", "expected_value",
    "slip_probability", "expected_close_period", "top_factors", "model_name",
    "model_version", "scoring_method", "scored_at",
)  # fmt: skip


def with_overdue_slipped(deals: pd.DataFrame, slip: np.ndarray, score_date: date) -> np.ndarray:
    """``slip`` with 1.0 for every deal whose close date is before ``score_date``: still
    open past it, it has already missed it."""
    overdue = (pd.to_datetime(deals["close_date"]) < pd.Timestamp(score_date)).to_numpy()
    return np.where(overdue, 1.0, np.asarray(slip, dtype=np.float64))


def expected_close_period(
    deals: pd.DataFrame, slip: np.ndarray, timing: dict[str, float], score_date: date
) -> pd.Series:
    """First day of the month each deal is expected to close in (see the module doc)."""
    today = pd.Timestamp(score_date)
    close_date = pd.to_datetime(deals["close_date"]).reset_index(drop=True)
    days = deals["stage"].map(timing).fillna(timing.get("*", 30.0)).to_numpy(dtype=float)
    later = today + pd.to_timedelta(np.maximum(days, 1.0), unit="D")
    later = later.where(close_date.isna() | (later > close_date), close_date + pd.Timedelta(days=1))
    keeps = (np.asarray(slip) < 0.5) & (close_date >= today).to_numpy()
    when = pd.Series(np.where(keeps, close_date, later), dtype="datetime64[ns]")
    return when.dt.to_period("M").dt.start_time.dt.date


def score_with_model(
    model: DealModel, deals: pd.DataFrame, top_factors: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Win probability, factor JSON and slip probability of ``opportunity_features`` rows."""
    inputs = model_inputs(deals, model.win.spec)
    if inputs.empty:
        return np.array([]), np.array([], dtype=object), np.array([])
    contributions, bias = model.win.contributions(inputs)
    margin = contributions.sum(axis=1) + bias
    probability = 1.0 / (1.0 + np.exp(-margin))
    shown = shown_values(inputs, deals)
    long = top_factor_rows(
        contributions, shown, model.win.spec.columns, top_factors, margin, readable_name
    )
    slip = (
        model.slip.predict_proba(model_inputs(deals, model.slip.spec))
        if model.slip is not None
        else model.slip_rates.probability(deals["stage"])
    )
    return probability, factors_json(long, len(deals)), slip


def stage_rate_factors(deals: pd.DataFrame, rates: StageWinRates, top: int) -> np.ndarray:
    """Up to three factors per deal, exact in log-odds: its stage (the stage's rate against
    the overall rate), its time in the stage (the time band's rate against the stage's)
    and its amount (the amount band's rate against the time band's)."""
    stage_p, band_p, amount_p = rates.levels(deals)
    overall = _logit(np.full(len(deals), rates.overall))
    contributions = np.column_stack(
        [_logit(stage_p) - overall, _logit(band_p) - _logit(stage_p),
         _logit(amount_p) - _logit(band_p)]
    )  # fmt: skip
    shown = pd.DataFrame({"stage": deals["stage"].astype(str).to_numpy(),
                          TIME_IN_STAGE: _column(deals, TIME_IN_STAGE, 1),
                          AMOUNT: _column(deals, AMOUNT, 0)})  # fmt: skip
    long = top_factor_rows(
        contributions, shown, ["stage", TIME_IN_STAGE, AMOUNT], top,
        overall + contributions.sum(axis=1), readable_name,
    )  # fmt: skip
    return factors_json(long, len(deals))


def _column(deals: pd.DataFrame, column: str, decimals: int) -> np.ndarray:
    if column not in deals.columns:
        return np.full(len(deals), np.nan)
    return np.round(pd.to_numeric(deals[column], errors="coerce").to_numpy(float), decimals)


def opportunity_scores_frame(
    deals: pd.DataFrame,
    win_probability: np.ndarray,
    slip_probability: np.ndarray,
    top_factors: np.ndarray,
    close_period: pd.Series,
    *,
    score_date: date,
    model_name: str,
    model_version: str,
    scoring_method: str,
    scored_at: datetime,
) -> pd.DataFrame:
    """Assemble the table's columns, one row per deal of ``deals`` (with
    ``opportunity_id`` and ``amount_in_default_currency``).

    Raises:
        ValueError: inputs differ in length, or a deal appears twice.
    """
    n = len(deals)
    lengths = {len(win_probability), len(slip_probability), len(top_factors), len(close_period)}
    if lengths != {n}:
        raise ValueError("deals, probabilities, factors and close periods differ in length")
    ids = deals["opportunity_id"].reset_index(drop=True)
    if ids.duplicated().any():
        raise ValueError(f"opportunity {ids[ids.duplicated()].iloc[0]} is scored twice")
    p = np.clip(np.asarray(win_probability, dtype=np.float64), 0.0, 1.0)
    amount = pd.to_numeric(deals["amount_in_default_currency"], errors="coerce").fillna(0.0)
    stamp = pd.Timestamp(scored_at)
    return pd.DataFrame(
        {
            "opportunity_id": ids.to_numpy(),
            "score_date": pd.Timestamp(score_date),
            "win_probability": p,
            "score": np.clip(np.rint(p * 100), 1, 99).astype(np.int16),
            "expected_value": np.round(p * np.maximum(amount.to_numpy(dtype=float), 0.0), 2),
            "slip_probability": np.clip(np.asarray(slip_probability, dtype=np.float64), 0, 1),
            "expected_close_period": pd.to_datetime(pd.Series(close_period).to_numpy()),
            "top_factors": np.asarray(top_factors, dtype=object),
            "model_name": model_name,
            "model_version": model_version,
            "scoring_method": scoring_method,
            "scored_at": stamp.tz_convert(None) if stamp.tzinfo else stamp,
        },
        columns=list(SCORE_COLUMNS),
    )


@dataclass(frozen=True)
class StageFallback:
    """What a date scores with before a first champion (or below Einstein's minimum): the
    stage win rates (:mod:`ml.opportunity_scoring.stage_win_rates`), the slip rates and
    close timing of the deals labelled by then, and the version its rows are recorded
    under (the date and how many deals it was fitted on)."""

    rates: StageWinRates
    slip: StageRates
    timing: dict[str, float]
    version: str


def fit_stage_fallback(
    labelled: pd.DataFrame, as_of: date, pseudo_deals: int, default_win_rate: float
) -> StageFallback:
    """The stage-rate fallback of ``as_of`` from its labelled snapshots."""
    won, lost = sufficiency(labelled)
    return StageFallback(
        fit_stage_win_rates(labelled, WON, pseudo_deals, default_win_rate),
        fit_stage_rates(labelled, SLIPPED, pseudo_deals, 0.5),
        close_timing(labelled, labelled["closed_on"]),
        f"{as_of.isoformat()}-{won + lost}deals",
    )


def deal_scores(
    deals: pd.DataFrame,
    as_of: date,
    scored_at: datetime,
    *,
    top_factors: int,
    champion: tuple[str, DealModel] | None = None,
    fallback: StageFallback | None = None,
) -> pd.DataFrame:
    """The ``ml.opportunity_scores`` rows of ``deals`` (``opportunity_features`` rows of
    ``as_of``), with the champion (its version and model) or else the fallback. The one
    composition of the scoring chain: the nightly step and the scoring API both call it,
    so a deal scored online is its batch row.

    Raises:
        ValueError: neither a champion nor a fallback is given.
    """
    if champion is not None:
        version, model = champion
        win, factors, slip = score_with_model(model, deals, top_factors)
        timing, name, method = model.timing, names.OPPORTUNITY_SCORING, MODEL
    elif fallback is not None:
        win, slip = fallback.rates.probability(deals), fallback.slip.probability(deals["stage"])
        factors = stage_rate_factors(deals, fallback.rates, top_factors)
        timing, name, method, version = (
            fallback.timing, STAGE_RATES_MODEL, STAGE_WIN_RATE, fallback.version
        )  # fmt: skip
    else:
        raise ValueError("deal_scores needs a champion or a stage-rate fallback")
    slip = with_overdue_slipped(deals, slip, as_of)
    return opportunity_scores_frame(
        deals, win, slip, factors, expected_close_period(deals, slip, timing, as_of),
        score_date=as_of, model_name=name, model_version=str(version),
        scoring_method=method, scored_at=scored_at,
    )  # fmt: skip


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))
