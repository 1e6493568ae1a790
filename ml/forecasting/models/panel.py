"""One grain of a :class:`SeriesSet` as aligned arrays: what every model reads.

A forecast *origin* is an index into the history: a model forecasting from origin ``o``
sees periods ``0 .. o-1`` and predicts ``o .. o+h-1``. The final forecast uses origin
``T`` (all history). Calendar weights at an origin come from a day profile fitted on days
before that origin only, so backtests do not peek at the calendar of the future.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from ml.forecasting import calendar
from ml.forecasting.features import SeriesSet, level_of, market_covariates


@dataclass(frozen=True, eq=False)
class Panel:
    """History of all segments of one grain, plus past covariates, as arrays."""

    grain: str
    periods: pd.DatetimeIndex  # T period starts
    segments: tuple[str, ...]
    y: np.ndarray  # (S, T) revenue
    covariates: np.ndarray  # (T, K) market indicators, gaps filled; K may be 0
    covariate_names: tuple[str, ...]
    daily_total: pd.Series
    status: dict[str, str]
    first_open: date  # the first period after the history: where forecasts start
    _weights: dict[tuple[int, int], np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def levels(self) -> tuple[str, ...]:
        return tuple(level_of(s) for s in self.segments)

    @property
    def length(self) -> int:
        return len(self.periods)

    def future_periods(self, origin: int, horizon: int) -> pd.DatetimeIndex:
        """Starts of the ``horizon`` periods from ``origin`` on (may run past the history)."""
        first = self.periods[origin].date() if origin < self.length else self.first_open
        return calendar.period_range(first, horizon, self.grain)

    def weights(self, origin: int, horizon: int) -> np.ndarray:
        """Calendar weights of periods ``0 .. origin+horizon-1`` as known at ``origin``."""
        key = (origin, horizon)
        if key not in self._weights:
            cutoff = self.periods[origin] if origin < self.length else None
            days = self.daily_total
            if cutoff is not None:
                days = days[days.index < cutoff]
            first = np.flatnonzero(days.to_numpy() > 0)
            profile = calendar.day_profile(days.iloc[first[0] :] if len(first) else days)
            periods = self.periods[:origin].append(self.future_periods(origin, horizon))
            self._weights[key] = calendar.calendar_weights(periods, self.grain, profile)
        return self._weights[key]


def build_panel(series: SeriesSet, covariates: pd.DataFrame | None, grain: str) -> Panel:
    """Arrange one grain of ``series`` and the matching covariates for the models.

    ``covariates`` is :func:`market_covariates` output (or None/empty): each column is
    aligned to the history periods, forward filled, and back filled before its first
    observation; a column with no value at all is dropped.
    """
    frame = series.frame(grain)
    periods = pd.DatetimeIndex(frame.index, name="period_start")
    if covariates is None or covariates.empty:
        cov = pd.DataFrame(index=periods)
    else:
        cov = covariates.reindex(covariates.index.union(periods)).sort_index().ffill().bfill()
        cov = cov.reindex(periods).dropna(axis=1, how="all")
    return Panel(
        grain=grain,
        periods=periods,
        segments=tuple(frame.columns),
        y=frame.to_numpy(dtype=float).T.copy(),
        covariates=cov.to_numpy(dtype=np.float32),
        covariate_names=tuple(cov.columns),
        daily_total=series.daily_total,
        status=series.segment_status(grain).to_dict(),
        first_open=calendar.first_open_period(series.as_of, grain),
    )


def covariates_for(
    covariates: Mapping[str, pd.DataFrame] | pd.DataFrame | None, grain: str
) -> pd.DataFrame | None:
    """The covariate table of one grain from whatever form the caller passed."""
    if covariates is None:
        return None
    if isinstance(covariates, pd.DataFrame):
        if "indicator_date" in covariates.columns:
            return market_covariates(covariates, grain)
        return covariates
    return covariates.get(grain)
