"""Make segment forecasts add up: regions, products and reps each sum to the total.

**Method: weighted least-squares projection onto the coherent forecasts** (the MinT
family of Wickramasuriya, Athanasopoulos & Hyndman 2019, with a diagonal weight, written
with constraints rather than a summing matrix because the three hierarchies share only
their top). The constraints are ``C y = 0`` with one row per hierarchy,
``total - sum(members) = 0``. Among all forecasts meeting them we take the one closest
to the base forecasts ``b`` in the metric ``W^-1``::

    y = b - W C' (C W C')^-1 C b

so each series absorbs a share of the disagreement proportional to its weight ``W_ii``.
We use ``W_ii = scale_i^2``, the squared MASE scale of series ``i`` (its typical
period-to-period swing): a volatile rep moves more than the steady total, and a series
with no revenue at all (scale 0) does not move. A backtest-variance weight would be
"MinT-diagonal" proper; the scale needs no residuals, so it works at every origin of a
backtest as well, and is what we use.

**Non-negativity.** A projection can push a small series below zero. Such series are
set to 0 and frozen (weight ~0), and the rest is projected again; a few rounds suffice.
The result meets every constraint to floating-point precision and has no negative value.
"""

from __future__ import annotations

import numpy as np

from ml.forecasting.features import TOTAL, level_of

HIERARCHIES = ("region", "product", "rep")
_FROZEN = 1e-12  # relative weight of a series pinned at 0


def constraint_matrix(segments: tuple[str, ...] | list[str]) -> np.ndarray:
    """One row ``total - sum(members)`` per hierarchy present in ``segments``.

    Raises:
        ValueError: there are segments but no ``total``.
    """
    segments = list(segments)
    levels = [level_of(s) for s in segments]
    present = [h for h in HIERARCHIES if h in levels]
    if present and TOTAL not in segments:
        raise ValueError("reconciliation needs a 'total' series")
    rows = np.zeros((len(present), len(segments)))
    for r, hierarchy in enumerate(present):
        rows[r, segments.index(TOTAL)] = 1.0
        rows[r, [i for i, lv in enumerate(levels) if lv == hierarchy]] = -1.0
    return rows


def reconcile(
    base: np.ndarray, segments: tuple[str, ...] | list[str], weights: np.ndarray
) -> np.ndarray:
    """Coherent, non-negative forecasts closest to ``base`` (``(series, h)``).

    ``weights`` (one per series, >= 0) say how freely each series may move; NaN or
    non-positive weights pin a series (use it for series known to be 0).
    """
    constraints = constraint_matrix(segments)
    base = np.clip(np.nan_to_num(np.asarray(base, float)), 0.0, None)
    if constraints.shape[0] == 0:
        return base
    w = np.asarray(weights, float)
    top = np.nanmax(w) if np.any(w > 0) else 1.0
    w = np.where(np.isfinite(w) & (w > 0), w, _FROZEN * top)
    out = np.empty_like(base)
    for h in range(base.shape[1]):
        out[:, h] = _project_non_negative(base[:, h], constraints, w, top)
    return out


def _project_non_negative(b: np.ndarray, c: np.ndarray, w: np.ndarray, top: float) -> np.ndarray:
    w = w.copy()
    y = b
    for _ in range(len(b)):  # each round freezes at least one series
        cw = c * w  # C W
        y = b - w * (c.T @ np.linalg.solve(cw @ c.T, c @ b))
        negative = y < 0
        if not negative.any():
            return y
        b = np.where(negative, 0.0, y)
        w = np.where(negative, _FROZEN * top, w)
    return np.clip(y, 0.0, None)
