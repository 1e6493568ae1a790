"""Comparing two forecasters fairly: on the same rolling-origin backtest.

A forecaster is its choice of model per grain and segment. Both the challenger's and the
champion's choices are scored on tonight's backtest table, which refits every model at
every origin without seeing the future: the same series, origins and periods for both.
The score is the mean MASE of the chosen models over the segments both forecast, per
grain, averaged over the grains (lower is better).
"""

from __future__ import annotations

import numpy as np
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


def choice_coverage(table: pd.DataFrame, choices: pd.DataFrame) -> float:
    """Mean empirical 80% coverage of the chosen models on the backtest."""
    chosen = choices.rename(columns={"method": "model"}).merge(
        table[["grain", "segment", "model", "coverage_80"]], on=["grain", "segment", "model"]
    )
    values = chosen["coverage_80"].dropna().to_numpy()
    return float(np.mean(values)) if len(values) else float("nan")
