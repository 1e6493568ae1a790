"""Comparing two forecasters fairly: on the same rolling-origin backtest.

A forecaster is its choice of model per grain and segment. Both the challenger's and the
champion's choices are scored on tonight's backtest table, which refits every model at
every origin without seeing the future: the same series, origins and periods for both.
The score is the mean MASE of the chosen models over the segments both forecast, per
grain, averaged over the grains (lower is better).
"""

from __future__ import annotations

import pandas as pd


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
