"""The global LSTM: windows, a Lightning training run, predictions, and no side effects."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from forecast_data import AS_OF

from ml.forecasting.features import build_series, market_covariates
from ml.forecasting.models.lstm import RevenueLSTM, predict_lstm, train_lstm
from ml.forecasting.models.lstm_data import RevenueDataModule, Windows
from ml.forecasting.models.panel import build_panel


@pytest.fixture(scope="module")
def panel(daily_revenue, market_daily, config):
    series = build_series(daily_revenue, config, as_of=AS_OF)
    return build_panel(series, market_covariates(market_daily, "month"), "month")


def test_windows_never_show_the_future_to_training(panel):
    origin = panel.length - 6
    windows = Windows(panel, origin, horizon=6, input_length=12, covariates=panel.covariates)
    samples = windows.training_samples()
    assert samples[:, 1].max() < origin
    batch = windows.batch(samples)
    assert batch["x"].shape == (len(samples), 12, windows.n_input)
    assert batch["future"].shape == (len(samples), 6, windows.n_future)
    # Target periods at or after the origin are masked out of the loss.
    late = samples[:, 1][:, None] + np.arange(6)[None, :] >= origin
    assert (batch["mask"].numpy() == ~late).all()
    assert np.isfinite(batch["x"].numpy()).all()


def test_datamodule_serves_bounded_epochs(panel):
    windows = Windows(panel, panel.length, 6, 12, panel.covariates)
    data = RevenueDataModule(windows, batch_size=16, samples_per_epoch=40, seed=0)
    data.setup()
    batches = list(data.train_dataloader())
    assert sum(len(b["x"]) for b in batches) == 40


def test_training_runs_on_cpu_and_leaves_global_state_alone(panel, config):
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    threads = torch.get_num_threads()
    state = train_lstm(panel, panel.length, replace(config, lstm_fast_dev_run=True))
    assert torch.rand(1) == expected_next  # the caller's RNG stream is untouched
    assert torch.get_num_threads() == threads
    assert state is not None and state.grain == "month"
    forecast = predict_lstm(state, panel, panel.length)
    assert forecast.shape == (len(panel.segments), 6)
    assert np.isfinite(forecast).all() and (forecast >= 0).all()


def test_warm_start_continues_from_the_previous_network(panel, config):
    first = train_lstm(panel, panel.length - 6, config, epochs=1)
    second = train_lstm(panel, panel.length, config, previous=first, epochs=1)
    assert second.epochs == first.epochs + 1
    assert second.covariate_names == first.covariate_names
    changed = [not np.array_equal(first.weights[k], second.weights[k]) for k in first.weights]
    assert any(changed)


def test_module_emits_log_means_for_every_step():
    module = RevenueLSTM(n_input=5, n_future=3, horizon=4, hidden_size=8, layers=1)
    x, future, static = torch.zeros(2, 6, 5), torch.ones(2, 4, 3), torch.zeros(2, 4)
    assert module(x, future, static).shape == (2, 4)
    assert (module.predict_mean(x, future, static) > 0).all()
