"""Forecast accuracy: MASE, sMAPE and interval coverage, on arrays.

MASE divides the mean absolute error by the in-sample mean absolute *seasonal*
difference of the history at the forecast origin (Hyndman & Koehler 2006), so errors of
a region and of the total are comparable and 1.0 means "as good as last year's value,
in-sample". The same scale normalises residuals for the conformal intervals.
"""

from __future__ import annotations

import numpy as np

from ml.forecasting.models.baselines import trim_leading_zeros


def mase_scale(history: np.ndarray, season: int) -> float:
    """Mean absolute seasonal difference of ``history`` (from its first win).

    Falls back to lag 1 with less than a season plus one point, and to the mean absolute
    value when the differences are all zero. NaN for a series that never had revenue.
    """
    (y,) = trim_leading_zeros(history)
    if len(y) == 0:
        return float("nan")
    lag = season if len(y) > season else 1
    scale = float(np.mean(np.abs(y[lag:] - y[:-lag]))) if len(y) > lag else 0.0
    return scale if scale > 0 else float(np.mean(np.abs(y)))


def smape(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Symmetric absolute percentage error per point, in [0, 2]; 0 when both are 0."""
    actual, forecast = np.asarray(actual, float), np.asarray(forecast, float)
    denominator = np.abs(actual) + np.abs(forecast)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = 2.0 * np.abs(actual - forecast) / denominator
    return np.where(denominator > 0, out, 0.0)


def covered(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """1.0 where ``lower <= actual <= upper``, 0.0 outside, NaN where any input is NaN."""
    actual, lower, upper = (np.asarray(a, float) for a in (actual, lower, upper))
    inside = ((actual >= lower) & (actual <= upper)).astype(float)
    return np.where(np.isnan(actual) | np.isnan(lower) | np.isnan(upper), np.nan, inside)
