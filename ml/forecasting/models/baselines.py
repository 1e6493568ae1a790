"""Local (one series at a time) forecasters: seasonal naive, run rate, ETS.

Every function takes a series' history ``y`` (oldest first, one value per period), the
calendar weights of those periods and of the ``len(w_future)`` periods to forecast, and
returns one non-negative forecast per future period, or all NaN where the model cannot
run (too little history). Leading zeros before a series' first win are not history
(a segment that did not exist yet), so every model starts from the first win.

- ``seasonal_naive``: the value one season (52 weeks, 12 months) earlier; the benchmark
  every model must beat. With less than a season of history it is the naive last value.
- ``run_rate``: the mean calendar-adjusted revenue of the last year, times the future
  periods' calendar weights. Also the fallback for short and sparse series: for lumpy
  revenue it is the expected value per period, which is what sums to the total.
- ``ets``: statsmodels' ``ETSModel`` with additive errors and an additive damped trend,
  fitted to the calendar-adjusted series (so the month-end spikes are not mistaken for
  noise or level shifts). Measured cost: 6-30 ms per fit on a 150-week total, several
  times that on sparse series (the optimiser wanders), which is why
  :mod:`ml.forecasting.models.backtest` budgets it by measured time.
"""

from __future__ import annotations

import warnings

import numpy as np
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from ml.forecasting.config import ETS, RUN_RATE, SEASONAL_NAIVE

MIN_ETS_POINTS = 10  # fewer points than this and ETS' five parameters are guesswork


def trim_leading_zeros(y: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """``y`` (and arrays aligned with it) from the first positive value on."""
    nonzero = np.flatnonzero(np.asarray(y) > 0)
    start = nonzero[0] if len(nonzero) else len(y)
    return (np.asarray(y, dtype=float)[start:], *(np.asarray(a)[start:] for a in arrays))


def seasonal_naive(
    y: np.ndarray, w_hist: np.ndarray, w_future: np.ndarray, season: int
) -> np.ndarray:
    """Last season's value for each future period (naive last value below one season)."""
    (y,) = trim_leading_zeros(y)
    horizon = len(w_future)
    if len(y) == 0:
        return np.zeros(horizon)
    lag = season if len(y) >= season else 1
    return y[len(y) - lag + np.arange(horizon) % lag]


def run_rate(y: np.ndarray, w_hist: np.ndarray, w_future: np.ndarray, window: int) -> np.ndarray:
    """Mean calendar-adjusted revenue over the last ``window`` periods, re-weighted."""
    y, w = trim_leading_zeros(y, w_hist)
    if len(y) == 0:
        return np.zeros(len(w_future))
    adjusted = y[-window:] / w[-window:]
    return adjusted.mean() * np.asarray(w_future, dtype=float)


def ets(y: np.ndarray, w_hist: np.ndarray, w_future: np.ndarray) -> np.ndarray:
    """Damped-trend ETS on the calendar-adjusted series, re-weighted (NaN if too short)."""
    y, w = trim_leading_zeros(y, w_hist)
    horizon = len(w_future)
    if len(y) < MIN_ETS_POINTS:
        return np.full(horizon, np.nan)
    adjusted = y / w
    scale = adjusted.mean()  # fit on a unit scale: the optimiser's tolerances assume it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short, lumpy series
        try:
            fit = ETSModel(adjusted / scale, trend="add", damped_trend=True).fit(disp=False)
            path = np.asarray(fit.forecast(horizon))
        except (ValueError, np.linalg.LinAlgError):
            path = np.full(horizon, np.nan)
        if not np.all(np.isfinite(path)):  # fall back to simple exponential smoothing
            fit = ETSModel(adjusted / scale).fit(disp=False)
            path = np.asarray(fit.forecast(horizon))
    return np.clip(path * scale, 0.0, None) * np.asarray(w_future, dtype=float)


def local_forecast(
    model: str,
    y: np.ndarray,
    w_hist: np.ndarray,
    w_future: np.ndarray,
    *,
    season: int,
    window: int,
) -> np.ndarray:
    """Dispatch to one local model by name.

    Raises:
        ValueError: ``model`` is not a local model.
    """
    if model == SEASONAL_NAIVE:
        return seasonal_naive(y, w_hist, w_future, season)
    if model == RUN_RATE:
        return run_rate(y, w_hist, w_future, window)
    if model == ETS:
        return ets(y, w_hist, w_future)
    raise ValueError(f"not a local model: {model!r}")
