"""Choosing the champion model per series, from backtest errors.

A champion is the candidate with the lowest mean MASE over the backtest origins;
candidates must have a forecast at every origin counted. Two scopes
(``ForecastConfig.select_by``):

- ``"level"`` (default): one champion per grain and level (total, regions, products,
  reps), the model with the lowest mean MASE over the level's modelled series. With a
  handful of origins a per-series winner is often luck; a level's series share
  behaviour and pool four to twenty times the evidence.
- ``"series"``: each modelled series its own champion.

Either way a model wins only where it is measurably best, so the LSTM is chosen only
where it wins. "Measurably" has a threshold: the run rate (the simplest model, and the
fallback) stays champion unless a challenger's mean MASE is lower by more than
``selection_margin`` *and* the challenger is better on most of the origins (and series)
counted. With six origins a model that wins one origin by a lot and loses the others
would otherwise be chosen on luck; on the small demo warehouse that kind of switching
made the honest (leave-one-origin-out) champion worse than any single model.

Series whose status is not ``ok`` (short, sparse, no history) always get the documented
fallback, the run rate, whatever the backtest says.
"""

from __future__ import annotations

import numpy as np

from ml.forecasting.config import RUN_RATE


def choose(
    per_origin: dict[str, np.ndarray],
    levels: np.ndarray,
    status: np.ndarray,
    scope: str,
    exclude: int | None = None,
    margin: float = 0.0,
) -> np.ndarray:
    """Champion model name per series.

    ``per_origin`` maps model -> ``(origins, series)`` MASE; ``levels`` and ``status``
    are per series. ``exclude`` leaves one origin out (to score a champion honestly on it).
    A challenger replaces the run rate only if its mean MASE is lower by more than
    ``margin`` (a share) *and* it is better on most of the (origin, series) pairs.
    """
    models = list(per_origin)
    kept = {m: per_origin[m] if exclude is None else np.delete(per_origin[m], exclude, 0)
            for m in models}  # fmt: skip
    chosen = np.full(len(levels), RUN_RATE, dtype=object)
    modelled = status == "ok"
    groups = (
        [modelled & (levels == level) for level in np.unique(levels)]
        if scope == "level"
        else [np.arange(len(levels)) == s for s in np.flatnonzero(modelled)]
    )
    for members in groups:
        if members.any():
            chosen[members] = _best({m: kept[m][:, members] for m in models}, margin)
    return chosen


def _best(errors: dict[str, np.ndarray], margin: float) -> str:
    """The model to use for a group given ``(origins, members)`` MASE per model."""
    complete = {m: e for m, e in errors.items() if e.size and np.isfinite(e).all()}
    if not complete:
        return RUN_RATE
    best = min(complete, key=lambda m: complete[m].mean())
    incumbent = complete.get(RUN_RATE)
    if best == RUN_RATE or incumbent is None:
        return best
    clearly_lower = complete[best].mean() < (1.0 - margin) * incumbent.mean()
    mostly_better = np.mean(complete[best] < incumbent) > 0.5
    return best if clearly_lower and mostly_better else RUN_RATE
