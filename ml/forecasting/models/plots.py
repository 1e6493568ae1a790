"""Figures for MLflow artifacts: one series' history, forecast and intervals.

Built on ``matplotlib.figure.Figure`` directly, not ``pyplot``: no global figure
registry, nothing to close, safe in a long-running Airflow worker.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ml.forecasting.config import ForecastConfig
from ml.forecasting.features import SeriesSet
from ml.forecasting.models.backtest import BacktestResult


def backtest_figure(
    series: SeriesSet,
    forecast: pd.DataFrame,
    *,
    segment: str = "total",
    grain: str = "week",
    backtest: BacktestResult | None = None,
    history_periods: int = 104,
) -> Figure:
    """Actuals, the forecast with its 80% and 95% intervals and, given ``backtest``, what
    the published champion forecast was at each backtest origin.

    ``forecast`` is :meth:`RevenueForecaster.forecast` output.

    Raises:
        KeyError: ``segment`` is not a series of ``grain``.
    """
    actual = series.frame(grain)[segment].iloc[-history_periods:]
    rows = forecast[(forecast["segment"] == segment) & (forecast["grain"] == grain)]
    when = pd.to_datetime(rows["period_start"])
    figure = Figure(figsize=(10, 4.5), layout="constrained")
    ax = figure.add_subplot()
    ax.plot(actual.index, actual.to_numpy(), color="black", linewidth=1.2, label="actual")
    band = {"color": "tab:blue", "linewidth": 0}
    ax.fill_between(when, rows["lower_95"], rows["upper_95"], alpha=0.15, label="95%", **band)
    ax.fill_between(when, rows["lower"], rows["upper"], alpha=0.3, label="80%", **band)
    method = rows["method"].iloc[0] if len(rows) else "?"
    ax.plot(when, rows["forecast"], color="tab:blue", linewidth=1.8, label=f"forecast ({method})")
    if backtest is not None and backtest.grains[grain].origins:
        _overlay_backtest(ax, backtest, series, segment, grain, backtest.config)
    status = rows["series_status"].iloc[0] if len(rows) else "?"
    ax.set_title(f"{segment} - {grain}ly revenue (status: {status})")
    ax.set_ylabel("revenue")
    ax.legend(loc="upper left", fontsize="small")
    return figure


def _overlay_backtest(
    ax: Axes,
    backtest: BacktestResult,
    series: SeriesSet,
    segment: str,
    grain: str,
    config: ForecastConfig,
) -> None:
    result = backtest.grains[grain]
    s = result.segments.index(segment)
    paths = result.loo_champion(config.select_by, config.selection_margin)[:, s]
    periods = series.frame(grain).index
    for k, origin in enumerate(result.origins):
        when = periods[origin : origin + paths.shape[1]]
        ax.plot(when, paths[k, : len(when)], color="tab:orange", linewidth=0.9, alpha=0.8,
                label="backtest forecasts" if k == 0 else None)  # fmt: skip
    ax.axvline(periods[result.origins[0]], color="grey", linestyle=":", linewidth=0.8)
