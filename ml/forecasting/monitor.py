"""The monitor stage: how earlier forecasts did, now that their periods have happened.

Pure: the forecasts issued before tonight and tonight's series in, the realised
accuracy rows out (measured by the :mod:`ml.monitoring` library); the forecast step
writes them."""

from __future__ import annotations

from datetime import date

import pandas as pd

from ml.forecasting.config import GRAINS
from ml.forecasting.features import SeriesSet
from ml.monitoring import realised_forecast_performance


def actuals_frame(series: SeriesSet) -> pd.DataFrame:
    """Completed periods' revenue per segment, long: segment, grain, period_start/end, actual."""
    frames = []
    for grain in GRAINS:
        wide = series.frame(grain)
        long = (
            wide.rename_axis("period_start")
            .reset_index()
            .melt(id_vars="period_start", var_name="segment", value_name="actual")
        )
        starts = pd.to_datetime(long["period_start"])
        ends = starts + (pd.Timedelta(days=6) if grain == "week" else pd.offsets.MonthEnd(0))
        frames.append(long.assign(grain=grain, period_start=starts, period_end=ends))
    return pd.concat(frames, ignore_index=True)


def realised_performance(
    past: pd.DataFrame, series: SeriesSet, model_name: str, on: date
) -> pd.DataFrame:
    """Every earlier forecast in ``past`` scored on its completed periods: the
    ``monitoring.forecast_performance`` rows (by
    :func:`ml.monitoring.realised_forecast_performance`), with ``model_name`` and
    ``evaluated_on``; empty when nothing can be scored yet."""
    if past.empty:
        return pd.DataFrame()
    realised = realised_forecast_performance(past, actuals_frame(series))
    if realised.empty:
        return realised
    return realised.assign(model_name=model_name, evaluated_on=on)
