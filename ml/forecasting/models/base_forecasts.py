"""Every model's forecast for a panel at one origin: the one entry point for backtest and
forecast, so both run the models exactly the same way."""

from __future__ import annotations

import time

import numpy as np
from threadpoolctl import threadpool_limits

from ml.forecasting.config import ENSEMBLE, ETS, LSTM, RUN_RATE, SEASONAL_NAIVE, ForecastConfig
from ml.forecasting.models.baselines import local_forecast
from ml.forecasting.models.ensemble import combine
from ml.forecasting.models.lstm import LSTMState, predict_lstm
from ml.forecasting.models.panel import Panel

LOCAL_MODELS = (SEASONAL_NAIVE, RUN_RATE, ETS)


def base_forecasts(
    panel: Panel,
    origin: int,
    config: ForecastConfig,
    *,
    models: tuple[str, ...],
    rows: np.ndarray | None = None,
    ets_rows: np.ndarray | None = None,
    lstm: LSTMState | None = None,
    timings: dict[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """``model -> (series, horizon)`` forecasts from ``origin`` for the series in ``rows``.

    ``rows`` (boolean per series, default all) limits the work to the series needed;
    ETS runs only where ``ets_rows`` (its time budget) also allows. Other series are NaN.
    The LSTM needs ``lstm``; without it the model is not returned. The ensemble is
    computed from whichever of its members are returned.
    """
    n = len(panel.segments)
    rows = np.ones(n, dtype=bool) if rows is None else np.asarray(rows, dtype=bool)
    ets_rows = rows if ets_rows is None else rows & np.asarray(ets_rows, dtype=bool)
    horizon = config.per_grain("horizon", panel.grain)
    season = config.per_grain("season_length", panel.grain)
    window = config.per_grain("run_rate_window", panel.grain)
    w = panel.weights(origin, horizon)
    w_hist, w_future = w[:origin], w[origin:]
    out: dict[str, np.ndarray] = {}
    timings = timings if timings is not None else {}
    wanted = set(models) | (set(config.ensemble_members) if ENSEMBLE in models else set())
    for model in LOCAL_MODELS:
        if model not in wanted:
            continue
        started = time.perf_counter()
        forecast = np.full((n, horizon), np.nan)
        with threadpool_limits(config.threads):  # BLAS threads spin on a busy machine
            for s in np.flatnonzero(ets_rows if model == ETS else rows):
                forecast[s] = local_forecast(
                    model, panel.y[s, :origin], w_hist, w_future, season=season, window=window
                )
        out[model] = forecast
        timings[model] = timings.get(model, 0.0) + time.perf_counter() - started
    if LSTM in wanted and lstm is not None:
        started = time.perf_counter()
        forecast = predict_lstm(lstm, panel, origin, config.threads)
        out[LSTM] = np.where(rows[:, None], forecast, np.nan)
        timings["lstm_predict"] = timings.get("lstm_predict", 0.0) + time.perf_counter() - started
    if ENSEMBLE in models:
        out[ENSEMBLE] = combine(out, config.ensemble_members)
    return {m: f for m, f in out.items() if m in models}
