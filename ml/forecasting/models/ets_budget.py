"""Keeping ETS within its time budget in a backtest (statsmodels fits are the costly part).

ETS is the one model whose cost grows with every series and origin at tens of
milliseconds a fit (more on sparse series, where the optimiser wanders), so a night with
hundreds of series would spend minutes on it. The budget decides, once per grain, which
series get ETS at all; the others simply have no ETS candidate.
"""

from __future__ import annotations

import time

import numpy as np
from threadpoolctl import threadpool_limits

from ml.forecasting.config import LEVELS, ForecastConfig
from ml.forecasting.models import baselines
from ml.forecasting.models.panel import Panel


class EtsBudget:
    """ETS fits under ``ets_budget_seconds`` per grain, all origins or none per series.

    At the first origin, series are fitted in priority order (modelled series first;
    total, regions, products, reps; larger first), timing every fit, and admitted while
    the time spent, projected over every origin and the final forecast (and the longer
    histories of later origins), stays within budget. Measured, not estimated: fits on
    sparse series are several times slower than on the total. If later origins still
    overrun (a busy machine), the lowest-priority series are dropped from ETS at every
    origin: the budget is a cap, not a hope.
    """

    def __init__(
        self, panel: Panel, origins: list[int], status: np.ndarray, config: ForecastConfig
    ) -> None:
        self.panel, self.config = panel, config
        level_rank = np.array([LEVELS.index(level) for level in panel.levels])
        self.order = np.lexsort((-panel.y.sum(1), level_rank, status != "ok"))
        self.rows = np.zeros(len(panel.segments), dtype=bool)
        self.spent = 0.0
        growth = panel.length / max(origins[0], 1) if origins else 1.0
        self.projection = (len(origins) + 1) * growth  # first-origin time -> whole backtest

    def forecast(self, origin: int, first: bool) -> np.ndarray:
        """ETS at ``origin`` for the admitted series (admitting them when ``first``)."""
        horizon = self.config.per_grain("horizon", self.panel.grain)
        w = self.panel.weights(origin, horizon)
        out = np.full((len(self.panel.segments), horizon), np.nan)
        budget = self.config.ets_budget_seconds
        with threadpool_limits(self.config.threads):  # see ForecastConfig.threads
            self._fit(origin, first, w, out, budget)
        return out

    def _fit(self, origin: int, first: bool, w: np.ndarray, out: np.ndarray, budget: float) -> None:
        for s in self.order:
            if first and self.spent * self.projection > budget:
                break
            if not first and not self.rows[s]:
                continue
            if not first and self.spent > budget:
                self.rows[s] = False
                continue
            started = time.perf_counter()
            out[s] = baselines.ets(self.panel.y[s, :origin], w[:origin], w[origin:])
            self.spent += time.perf_counter() - started
            self.rows[s] = True
