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

import pandas as pd

from ml.registry.gate import GateDecision, decide_promotion

GATE_METRIC = "backtest MASE"


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
