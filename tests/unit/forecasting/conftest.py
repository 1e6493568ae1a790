"""Fixtures for the forecasting tests: the synthetic marts of ``forecast_data`` and a
configuration sized for a unit test."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from forecast_data import make_daily_revenue, make_market_indicators

from ml.forecasting.config import ForecastConfig


@pytest.fixture(scope="session")
def daily_revenue() -> pd.DataFrame:
    return make_daily_revenue()


@pytest.fixture(scope="session")
def market_daily() -> pd.DataFrame:
    return make_market_indicators()


@pytest.fixture(scope="session")
def config() -> ForecastConfig:
    """Defaults, with a network and training sized for a unit test (seconds, not minutes)."""
    return replace(
        ForecastConfig(),
        backtest_origins=4,
        lstm_hidden_size=8,
        lstm_layers=1,
        lstm_samples_per_epoch=128,
        lstm_batch_size=64,
        max_epochs=1,
        refit_epochs=1,
        rep_min_history_weeks=26,
    )
