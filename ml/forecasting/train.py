"""The train stage: fit the forecaster from a backtest (champions, interval quantiles,
the final network), and the tags of the version a training registers.

Per grain:

1. the champion per series (or level) from all backtest origins (:mod:`select`);
2. the champion's forecasts at every origin, *reconciled* as they would be emitted, and
   their normalised errors: the conformal pool for the 80% and 95% quantiles
   (:mod:`intervals`), so the intervals are calibrated on what is published, not on the
   base models;
3. the LSTM, only if some champion (or an ensemble champion) uses it: the backtest's
   last network continued for ``refit_epochs`` on all history, the same warm start each
   backtest origin had. Nothing else is trained: the local models re-fit at forecast time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from ml.forecasting.config import ENSEMBLE, GRAINS, LSTM, RUN_RATE, ForecastConfig, validate
from ml.forecasting.features import SeriesSet
from ml.forecasting.models import intervals
from ml.forecasting.models.backtest import BacktestResult
from ml.forecasting.models.forecaster import GrainModel, RevenueForecaster
from ml.forecasting.models.lstm import train_lstm
from ml.forecasting.models.panel import build_panel, covariates_for
from ml.forecasting.models.select import choose
from ml.registry.provenance import code_version, data_fingerprint


def fit_forecaster(
    series: SeriesSet,
    covariates: Mapping[str, pd.DataFrame] | pd.DataFrame | None,
    backtest: BacktestResult,
    config: ForecastConfig,
) -> RevenueForecaster:
    """Learn everything a nightly forecast needs from ``series`` and its ``backtest``.

    Raises:
        ValueError: the backtest was run on other segments than ``series`` holds.
    """
    validate(config)
    grains = {}
    for grain in GRAINS:
        result = backtest.grains[grain]
        if tuple(series.frame(grain).columns) != result.segments:
            raise ValueError(f"backtest and series disagree on the {grain} segments")
        if result.origins:
            choices = choose(
                result.per_origin_mase(), result.levels, result.status, config.select_by
            )
            emitted = np.stack([result.champion_at(choices, k) for k in range(len(result.origins))])
            errors = intervals.normalised_errors(emitted, result.actuals, result.scales)
            quantiles = intervals.level_quantiles(
                errors, result.levels, config.interval_levels, config.min_calibration_residuals
            )
        else:
            choices = np.full(len(result.segments), RUN_RATE, dtype=object)
            quantiles = {}
        uses_lstm = LSTM in set(choices) or (
            ENSEMBLE in set(choices) and LSTM in config.ensemble_members and config.use_lstm
        )
        network = None
        if uses_lstm:
            panel = build_panel(series, covariates_for(covariates, grain), grain)
            epochs = config.refit_epochs if result.lstm is not None else config.max_epochs
            budget = config.lstm_call_budget(epochs, len(result.origins))
            network = train_lstm(
                panel, panel.length, config, previous=result.lstm, epochs=epochs, seconds=budget
            )
        grains[grain] = GrainModel(
            grain=grain,
            champions=dict(zip(result.segments, (str(c) for c in choices), strict=True)),
            quantiles=quantiles,
            ets_segments=frozenset(np.asarray(result.segments)[result.ets_rows]),
            lstm=network,
        )
    return RevenueForecaster(config, grains, series.as_of)


def history_fingerprint(inputs: dict[str, pd.DataFrame], business_date: date) -> str:
    """What a version is keyed on with its business date: the revenue history it saw."""
    revenue = inputs["daily_revenue"]
    history_rows = revenue[pd.to_datetime(revenue["revenue_date"]) <= pd.Timestamp(business_date)]
    return data_fingerprint(history_rows.reset_index(drop=True))


def version_tags(
    series: SeriesSet,
    inputs: dict[str, pd.DataFrame],
    business_date: date,
    trigger: str,
    mase: float,
    coverage: float,
) -> dict[str, str]:
    """The provenance and quality tags of the version a training registers."""
    first = min(series.frame(g).index.min() for g in GRAINS)
    tags = {
        "business_date": business_date.isoformat(),
        "training_window": f"closed-won revenue {str(first)[:10]} to {business_date}",
        "data_fingerprint": history_fingerprint(inputs, business_date),
        "code_version": code_version(),
        "trigger": trigger,
        "validation_status": "pending",
        "backtest_mase": f"{mase:.4f}",
        "backtest_coverage_80": f"{coverage:.3f}",
    }
    return tags
