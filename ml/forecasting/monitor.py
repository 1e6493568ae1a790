"""How earlier forecasts did, now that their periods have happened (for monitoring)."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from ml.catalog import write_partition
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


def record_realised(
    con: duckdb.DuckDBPyConnection, past: pd.DataFrame, series: SeriesSet, model_name: str, on: date
) -> int:
    """Score every earlier forecast on its completed periods into
    ``monitoring.forecast_performance`` (rows for those forecast dates replaced)."""
    if past.empty:
        return 0
    realised = realised_forecast_performance(past, actuals_frame(series))
    if realised.empty:
        return 0
    realised = realised.assign(model_name=model_name, evaluated_on=on)
    forecast_dates = sorted(set(pd.to_datetime(realised["forecast_date"]).dt.date))
    return write_partition(
        con, "monitoring.forecast_performance", realised,
        {"model_name": model_name, "forecast_date": forecast_dates},
    )  # fmt: skip
