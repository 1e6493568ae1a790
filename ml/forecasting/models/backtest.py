"""Rolling-origin backtest: every model, every series, several past forecast origins.

Origins sit at ``T - h - k * step`` (``k = 0 .. origins-1``, ``T`` the last complete
period, ``h`` the horizon), so the latest origin's forecast ends exactly at the last
complete period and the earliest ones reach back most of a year. An origin needs
``min_train_periods`` of history since the total's first win; when the history is too
short for ``backtest_origins`` at the configured step, the step shrinks (down to one
period) before origins are dropped, and a grain with no possible origin is reported
with ``origins = 0`` and forecast with uncalibrated fallback intervals.

Per model and series the table gives MASE (mean over origins), sMAPE (mean over all
points) and the leave-one-origin-out coverage of the 80% and 95% conformal intervals.
The ``champion`` rows score what the forecaster would have emitted: at each origin the
champion chosen *without* that origin, reconciled, with intervals calibrated without
it; so they are an honest estimate, not the best of the candidates in hindsight.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.forecasting.config import (
    CHAMPION,
    ENSEMBLE,
    ETS,
    GRAINS,
    LSTM,
    MODELS,
    SEASONAL_NAIVE,
    ForecastConfig,
    validate,
)
from ml.forecasting.features import SeriesSet
from ml.forecasting.models import intervals
from ml.forecasting.models.accuracy import mase_scale, smape
from ml.forecasting.models.base_forecasts import base_forecasts
from ml.forecasting.models.ensemble import combine
from ml.forecasting.models.ets_budget import EtsBudget
from ml.forecasting.models.forecaster import reconcile
from ml.forecasting.models.lstm import LSTMState, train_lstm
from ml.forecasting.models.panel import Panel, build_panel, covariates_for
from ml.forecasting.models.select import choose

TABLE_COLUMNS = [
    "grain", "level", "segment", "model", "origins", "mase", "smape", "coverage_80", "coverage_95",
]  # fmt: skip


@dataclass(frozen=True, eq=False)
class GrainBacktest:
    """Raw backtest arrays of one grain: ``(origins, series, h)`` forecasts per model."""

    grain: str
    segments: tuple[str, ...]
    levels: np.ndarray
    status: np.ndarray
    origins: tuple[int, ...]
    forecasts: dict[str, np.ndarray]
    actuals: np.ndarray
    scales: np.ndarray  # (origins, series): MASE scale at each origin
    ets_rows: np.ndarray  # series ETS was budgeted for
    lstm: LSTMState | None  # the network of the last origin: the final fit warm-starts here

    def per_origin_mase(self) -> dict[str, np.ndarray]:
        """``model -> (origins, series)`` MASE."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                m: np.abs(f - self.actuals).mean(2) / np.where(self.scales > 0, self.scales, np.nan)
                for m, f in self.forecasts.items()
            }

    def champion_at(self, choices: np.ndarray, k: int) -> np.ndarray:
        """Reconciled ``(series, h)`` forecast at origin ``k`` of the models in ``choices``."""
        base = np.stack([self.forecasts[m][k, s] for s, m in enumerate(choices)])
        return reconcile(base, self.segments, self.scales[k] ** 2)

    def loo_champion(self, scope: str, margin: float = 0.0) -> np.ndarray:
        """``(origins, series, h)``: at each origin, the reconciled forecast of the champion
        chosen without that origin, i.e. what the forecaster would have published."""
        per_origin = self.per_origin_mase()
        return np.stack(
            [
                self.champion_at(choose(per_origin, self.levels, self.status, scope, k, margin), k)
                for k in range(len(self.origins))
            ]
        ).reshape(len(self.origins), len(self.segments), -1)


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """The backtest table, the arrays behind it, and what it cost."""

    table: pd.DataFrame
    grains: dict[str, GrainBacktest]
    timings: dict[str, float]
    config: ForecastConfig

    def summary(self) -> pd.DataFrame:
        """Per grain, level (and ``all``) and model: series count, mean MASE, MASE relative
        to seasonal naive on the same series, sMAPE, and the 80%/95% coverage."""
        rows = []
        table = self.table.dropna(subset=["mase"])
        for (grain, level), part in pd.concat([table, table.assign(level="all")]).groupby(
            ["grain", "level"], sort=False
        ):
            naive = part[part["model"] == SEASONAL_NAIVE].set_index("segment")["mase"]
            for model, rows_m in part.groupby("model", sort=False):
                both = rows_m.set_index("segment")["mase"].dropna().index.intersection(naive.index)
                relative = rows_m.set_index("segment")["mase"][both].mean() / naive[both].mean()
                rows.append(
                    (grain, level, model, len(rows_m), rows_m["mase"].mean(), relative,
                     rows_m["smape"].mean(), rows_m["coverage_80"].mean(),
                     rows_m["coverage_95"].mean())
                )  # fmt: skip
        return pd.DataFrame(
            rows,
            columns=["grain", "level", "model", "series", "mase", "relative_mase", "smape",
                     "coverage_80", "coverage_95"],
        )  # fmt: skip


def run_backtest(
    series: SeriesSet,
    covariates: Mapping[str, pd.DataFrame] | pd.DataFrame | None,
    config: ForecastConfig,
) -> BacktestResult:
    """Backtest every model on every series of both grains.

    ``covariates``: ``{grain: market_covariates(...)}``, or the raw
    ``market_indicators_daily`` frame (aggregated here), or None.
    """
    validate(config)
    timings: dict[str, float] = {}
    grains, tables = {}, []
    for grain in GRAINS:
        started = time.perf_counter()
        panel = build_panel(series, covariates_for(covariates, grain), grain)
        result = _backtest_grain(panel, config, timings)
        grains[grain] = result
        tables.append(_table(result, config))
        timings[f"{grain}_backtest"] = time.perf_counter() - started
    return BacktestResult(pd.concat(tables, ignore_index=True), grains, timings, config)


def plan_origins(
    first: int, length: int, horizon: int, config: ForecastConfig, grain: str
) -> list[int]:
    """Origin indices (ascending) for a history of ``length`` periods whose first win is at
    ``first``; see the module docstring for how a short history is handled."""
    wanted, step = config.backtest_origins, config.per_grain("origin_step", grain)
    earliest = first + config.per_grain("min_train_periods", grain)
    latest = length - horizon
    if latest < earliest:
        return []
    if latest - (wanted - 1) * step < earliest:
        step = max(1, (latest - earliest) // max(wanted - 1, 1))
    return sorted(o for o in (latest - k * step for k in range(wanted)) if o >= earliest)


def _backtest_grain(
    panel: Panel, config: ForecastConfig, timings: dict[str, float]
) -> GrainBacktest:
    grain, horizon = panel.grain, config.per_grain("horizon", panel.grain)
    season = config.per_grain("season_length", grain)
    total = panel.y[panel.segments.index("total")]
    first = int(np.argmax(total > 0)) if (total > 0).any() else panel.length
    origins = plan_origins(first, panel.length, horizon, config, grain)
    status = np.array([panel.status.get(s, "ok") for s in panel.segments])
    levels = np.array(panel.levels)
    models = tuple(m for m in MODELS if config.use_lstm or m != LSTM)
    shape = (len(origins), len(panel.segments), horizon)
    forecasts = {m: np.full(shape, np.nan) for m in models}
    actuals, scales = np.full(shape, np.nan), np.full(shape[:2], np.nan)
    ets = EtsBudget(panel, origins, status, config)
    state: LSTMState | None = None
    for k, origin in enumerate(origins):
        if config.use_lstm:
            started = time.perf_counter()
            epochs = config.max_epochs if state is None else config.refit_epochs
            budget = config.lstm_call_budget(epochs, len(origins))
            state = train_lstm(panel, origin, config, previous=state, epochs=epochs, seconds=budget)
            timings[f"{grain}_lstm_train"] = (
                timings.get(f"{grain}_lstm_train", 0.0) + time.perf_counter() - started
            )
        others = tuple(m for m in models if m not in (ETS, ENSEMBLE))
        step = base_forecasts(panel, origin, config, models=others, lstm=state, timings=timings)
        for m, f in step.items():
            forecasts[m][k] = f
        forecasts[ETS][k] = ets.forecast(origin, first=k == 0)
        actuals[k] = panel.y[:, origin : origin + horizon]
        scales[k] = [mase_scale(panel.y[s, :origin], season) for s in range(len(panel.segments))]
    if state is None:  # never trained (LSTM off, or no window): no LSTM rows at all
        forecasts.pop(LSTM, None)
    forecasts[ETS][:, ~ets.rows] = np.nan  # all origins or none: a series dropped late
    forecasts[ENSEMBLE] = combine(
        {m: f for m, f in forecasts.items() if m != ENSEMBLE}, config.ensemble_members
    )
    timings["ets"] = timings.get("ets", 0.0) + ets.spent
    timings[f"{grain}_ets_series"] = float(ets.rows.sum())
    return GrainBacktest(
        grain,
        panel.segments,
        levels,
        status,
        tuple(origins),
        forecasts,
        actuals,
        scales,
        ets.rows,
        state,
    )


def _table(result: GrainBacktest, config: ForecastConfig) -> pd.DataFrame:
    per_origin = result.per_origin_mase()
    errors = {m: result.forecasts[m] for m in result.forecasts}
    if result.origins:
        errors[CHAMPION] = result.loo_champion(config.select_by, config.selection_margin)
    rows = []
    for model, forecast in errors.items():
        mase = (
            per_origin[model]
            if model in per_origin
            else np.abs(forecast - result.actuals).mean(2)
            / np.where(result.scales > 0, result.scales, np.nan)
        )
        normalised = intervals.normalised_errors(forecast, result.actuals, result.scales)
        cover = {
            q: intervals.loo_coverage(
                normalised, result.levels, q, config.min_calibration_residuals
            )
            for q in config.interval_levels
        }
        point_smape = smape(result.actuals, forecast)
        point_smape[np.isnan(forecast)] = np.nan
        for s, segment in enumerate(result.segments):
            finite = np.isfinite(mase[:, s])
            rows.append(
                (result.grain, result.levels[s], segment, model, int(finite.sum()),
                 _mean(mase[finite, s]), _mean(point_smape[:, s]),
                 _mean(cover[config.interval_levels[0]][:, s]),
                 _mean(cover[config.interval_levels[-1]][:, s]))
            )  # fmt: skip
    if not result.origins:
        rows = [(result.grain, lv, seg, m, 0, np.nan, np.nan, np.nan, np.nan)
                for seg, lv in zip(result.segments, result.levels, strict=True)
                for m in result.forecasts]  # fmt: skip
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def _mean(values: np.ndarray) -> float:
    finite = np.asarray(values, float)
    finite = finite[np.isfinite(finite)]
    return float(finite.mean()) if len(finite) else float("nan")
