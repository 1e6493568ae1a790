"""Conformal prediction intervals from backtest residuals, per level and horizon step.

**Scheme (split conformal on rolling-origin residuals).** For every backtest origin,
series and horizon step ``h`` we keep the *normalised* absolute error
``|actual - forecast| / scale``, where ``scale`` is the series' MASE scale at that origin
(its in-sample mean absolute seasonal difference). Normalising lets a region and a small
rep share one pool: a pool per (grain, level, h) has far more points than one series has
origins. The half-width for coverage ``q`` at step ``h`` is the conformal quantile of the
pool, the ``ceil((n + 1) q)``-th smallest of its ``n`` values, and the interval is
``forecast +- quantile x scale`` with the lower end cut at 0 (revenue is never negative).

Small pools: if step ``h`` alone has fewer than ``min_count`` values, neighbouring steps
``h +- 1, h +- 2, ...`` join until it has enough (errors change slowly with ``h``); a level
with no residual at all borrows the pool of its whole grain.

**Honest coverage.** The coverage a backtest reports is leave-one-origin-out: residuals
of origin ``k`` are covered by quantiles computed from the other origins only, so the
80% figure is a forecast of how often the next 80% interval will hold, not a fit.
"""

from __future__ import annotations

import numpy as np


def normalised_errors(forecast: np.ndarray, actual: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``|actual - forecast| / scale`` for ``(origins, series, h)`` arrays and ``(origins, series)``
    scales; NaN where the forecast is missing or the scale is not positive."""
    scale = np.asarray(scale, float)[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.abs(np.asarray(actual, float) - np.asarray(forecast, float)) / scale
    return np.where(np.isfinite(out) & (scale > 0), out, np.nan)


def conformal_quantile(values: np.ndarray, coverage: float) -> float:
    """The ``ceil((n+1) coverage)``-th smallest finite value (the largest if that rank
    exceeds ``n``); NaN for no values."""
    finite = np.sort(values[np.isfinite(values)])
    if len(finite) == 0:
        return float("nan")
    rank = int(np.ceil((len(finite) + 1) * coverage))
    return float(finite[min(rank, len(finite)) - 1])


def step_quantiles(errors: np.ndarray, coverage: float, min_count: int) -> np.ndarray:
    """Quantile per horizon step from an ``(origins, series, h)`` pool of normalised errors,
    widening each step's window over neighbouring steps until it holds ``min_count``."""
    horizon = errors.shape[-1]
    per_step = errors.reshape(-1, horizon)
    out = np.full(horizon, np.nan)
    for h in range(horizon):
        for radius in range(horizon):
            window = per_step[:, max(0, h - radius) : h + radius + 1]
            if np.isfinite(window).sum() >= min_count or radius == horizon - 1:
                out[h] = conformal_quantile(window, coverage)
                break
    return out


def level_quantiles(
    errors: np.ndarray,
    levels: np.ndarray,
    coverages: tuple[float, ...],
    min_count: int,
) -> dict[tuple[str, float], np.ndarray]:
    """Quantiles per (level, coverage) from ``(origins, series, h)`` errors.

    ``levels`` names each series' level. A level without any residual gets the quantiles
    of all series together. Keys also include ``("*", coverage)``: the grain-wide pool.
    """
    out: dict[tuple[str, float], np.ndarray] = {}
    for q in coverages:
        out[("*", q)] = step_quantiles(errors, q, min_count)
        for level in np.unique(levels):
            pool = errors[:, levels == level]
            fitted = step_quantiles(pool, q, min_count)
            out[(level, q)] = np.where(np.isfinite(fitted), fitted, out[("*", q)])
    return out


def loo_coverage(
    errors: np.ndarray, levels: np.ndarray, coverage: float, min_count: int
) -> np.ndarray:
    """1/0 per ``(origins, series, h)``: inside the interval calibrated without that origin.

    NaN where there is no error to check or no other origin to calibrate on.
    """
    out = np.full(errors.shape, np.nan)
    origins = errors.shape[0]
    if origins < 2:
        return out
    for k in range(origins):
        others = np.delete(errors, k, axis=0)
        q = level_quantiles(others, levels, (coverage,), min_count)
        for s, level in enumerate(levels):
            width = q[(level, coverage)]
            inside = (errors[k, s] <= width).astype(float)
            out[k, s] = np.where(np.isfinite(errors[k, s]) & np.isfinite(width), inside, np.nan)
    return out
