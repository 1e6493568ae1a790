"""Comparing two forecasters fairly: on the same rolling-origin backtest.

A forecaster is its choice of model per grain and segment. Both the challenger's and the
champion's choices are scored on tonight's backtest table, which refits every model at
every origin without seeing the future: the same series, origins and periods for both.
A version has one accuracy figure, ``backtest_mase`` (:func:`published_scores`): the
error of what it publishes, measured honestly (at each origin the models chosen without
that origin). The gate judges the challenger by that same figure; the champion is scored
by its own model choices on the same backtest rows (:func:`choice_mase`), i.e. what it
would have published there. Means per grain, averaged over the grains (lower is better).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.forecasting.config import ForecastConfig
from ml.forecasting.open_pipeline import deal_values
from ml.registry.gate import GateDecision, decide_promotion

GATE_METRIC = "backtest MASE"
STAGE_WIN_RATE, DEAL_MODEL = "stage_win_rate", "deal_model"
# Fewer origins with out-of-sample deal-model probabilities than this: keep stage rates.
MIN_PIPELINE_ORIGINS = 4
ORIGIN_COLUMNS = ["origin", "deals", "realised_won", "expected_stage_win_rate",
                  "expected_deal_model"]  # fmt: skip


def choice_mase(
    table: pd.DataFrame, choices: pd.DataFrame, segments: set[tuple[str, str]]
) -> float:
    """Mean backtest MASE of ``choices`` (grain, segment, method) over ``segments``.

    Returns NaN when no chosen model has a backtest error on those segments.
    """
    chosen = choices.rename(columns={"method": "model"}).merge(
        table[["grain", "segment", "model", "mase"]], on=["grain", "segment", "model"]
    )
    chosen = chosen[
        [(g, s) in segments for g, s in zip(chosen["grain"], chosen["segment"], strict=True)]
    ]
    per_grain = chosen.dropna(subset=["mase"]).groupby("grain")["mase"].mean()
    return float(per_grain.mean()) if len(per_grain) else float("nan")


def published_scores(table: pd.DataFrame) -> tuple[float, float, float]:
    """(MASE, seasonal naive's MASE on the same series, 80% coverage) of what the forecaster
    publishes, from the backtest's honest ``champion`` rows: at each origin the champion
    chosen without that origin, reconciled, with intervals calibrated without it. Means
    per grain, then over the grains. NaN where the backtest had no origin."""
    champion = table[table["model"] == "champion"].dropna(subset=["mase"])
    naive = table[table["model"] == "seasonal_naive"][["grain", "segment", "mase"]]
    both = champion.merge(naive, on=["grain", "segment"], suffixes=("", "_naive")).dropna()
    if both.empty:
        return float("nan"), float("nan"), float("nan")
    per_grain = both.groupby("grain")[["mase", "mase_naive", "coverage_80"]].mean()
    mase, naive_mase, coverage = per_grain.mean()
    return float(mase), float(naive_mase), float(coverage)


def forecast_gate(
    *,
    published_mase: float,
    naive_mase: float,
    coverage: float,
    champion_mase: float | None,
    margin: float,
    coverage_band: tuple[float, float],
) -> GateDecision:
    """The promotion decision for a forecaster whose one figure is ``published_mase``
    (:func:`published_scores`), against ``champion_mase`` on the same backtest rows."""
    low, high = coverage_band
    return decide_promotion(
        metric=GATE_METRIC,
        challenger=published_mase,
        champion=champion_mase,
        higher_is_better=False,
        margin=margin,
        checks={
            "a backtest": (
                coverage == coverage,  # NaN: no origin fitted in the history
                "the history is too short for one backtest origin",
            ),
            "interval coverage": (
                low <= coverage <= high,
                f"80% intervals covered {coverage:.1%} (band {low:.0%}-{high:.0%})",
            ),
            "beats seasonal naive": (
                published_mase <= naive_mase,
                f"MASE {published_mase:.4f} vs seasonal naive {naive_mase:.4f}",
            ),
        },
    )


@dataclass(frozen=True)
class PipelineMethodChoice:
    """Which win probabilities ``existing_pipeline`` uses, and the backtest behind it."""

    method: str  # STAGE_WIN_RATE or DEAL_MODEL
    reason: str
    origins: pd.DataFrame  # ORIGIN_COLUMNS, one row per judged origin
    wape_stage_win_rate: float
    wape_deal_model: float


def choose_pipeline_method(
    opportunities: pd.DataFrame,
    stage_history: pd.DataFrame,
    history: pd.DataFrame,
    business_date: pd.Timestamp | object,
    config: ForecastConfig,
) -> PipelineMethodChoice:
    """Backtest the existing-pipeline weighting on the same origins and deals: the stage
    win rates known at each origin against the deal model's out-of-sample win
    probabilities (``history``: ``opportunity_id, as_of_date, win_probability``, the
    catalog's ``ml.opportunity_score_history``). At each origin (an ``as_of_date`` whose
    week-grain horizon has passed by ``business_date``) both methods weight the same open
    deals expected to close within the horizon, with the same expected close; the truth
    is the amount of those deals won within it. The error is WAPE (sum of absolute
    errors over the sum won, over the origins); the deal model is used only when it is
    lower, on at least ``MIN_PIPELINE_ORIGINS`` origins."""
    days = config.per_grain("horizon", "week") * 7
    until = pd.Timestamp(business_date)
    opps = opportunities.set_index("opportunity_id")
    closed_at = pd.to_datetime(opps["closed_at"])
    won = opps["is_won"].fillna(False).astype(bool)
    rows = []
    dates = (
        pd.to_datetime(history["as_of_date"]) if len(history) else pd.Series(dtype="datetime64[ns]")
    )
    for origin in sorted(set(dates[dates + pd.Timedelta(days=days) <= until])):
        given = history[dates == origin].set_index("opportunity_id")["win_probability"]
        stage = deal_values(opportunities, stage_history, origin.date(), config)
        model = deal_values(opportunities, stage_history, origin.date(), config, given)
        end = origin + pd.Timedelta(days=days)
        keep = stage.index.isin(given.index) & (stage["close"] <= end).to_numpy()
        ids = stage.index[keep]
        if len(ids) == 0:
            continue
        done = (
            won.reindex(ids) & (closed_at.reindex(ids) > origin) & (closed_at.reindex(ids) <= end)
        )
        realised = float(opps["amount_in_default_currency"].reindex(ids)[done].astype(float).sum())
        rows.append((origin.date(), len(ids), realised, float(stage.loc[ids, "value"].sum()),
                     float(model.loc[ids, "value"].sum())))  # fmt: skip
    table = pd.DataFrame(rows, columns=ORIGIN_COLUMNS)
    truth = table["realised_won"].sum()
    wape = {
        m: float((table[f"expected_{m}"] - table["realised_won"]).abs().sum() / truth)
        if truth > 0 else float("nan")
        for m in (STAGE_WIN_RATE, DEAL_MODEL)
    }  # fmt: skip
    if len(table) < MIN_PIPELINE_ORIGINS or not np.isfinite(wape[STAGE_WIN_RATE]):
        method = STAGE_WIN_RATE
        reason = (f"{len(table)} origin(s) with deal-model win probabilities (at least "
                  f"{MIN_PIPELINE_ORIGINS} needed): stage win rates kept")  # fmt: skip
    else:
        method = DEAL_MODEL if wape[DEAL_MODEL] < wape[STAGE_WIN_RATE] else STAGE_WIN_RATE
        reason = (f"WAPE over {len(table)} origins: deal model {wape[DEAL_MODEL]:.3f}, stage "
                  f"win rates {wape[STAGE_WIN_RATE]:.3f}")  # fmt: skip
    return PipelineMethodChoice(method, reason, table, wape[STAGE_WIN_RATE], wape[DEAL_MODEL])
