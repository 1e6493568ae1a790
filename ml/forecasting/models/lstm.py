"""A global LSTM forecaster (PyTorch Lightning, CPU) trained across all series of a grain.

One network for every segment: an LSTM encodes the scaled recent history with the
market indicators and calendar; a small head reads its last state, the series' level
and the target periods' calendar, and emits all ``H`` steps at once (direct multi-step,
no error feedback). Each series is scaled by its run rate (mean of the last year), and
the head's output is the log of revenue per ordinary day relative to that run rate,
added to the log of the target period's calendar weight: the same decomposition the
local models use. The head's last layer starts at zero, so an untrained network
forecasts exactly the run rate and training spends its capacity on departures from it
(trend, season, the market).

Loss: Tweedie deviance (power 1.5, log link) on the scaled target. Revenue per period is
a compound Poisson-gamma variable (a random number of deals of random size, often
none), which is what the Tweedie family with 1 < p < 2 describes, and its deviance is
minimised by the *mean*. We tried L1 first, the error MASE measures: it learns the
median, which for a rep with no deal in most weeks is close to zero (the network
forecast 15% of the reps' actual revenue in the backtest), i.e. it wins on MASE by
forecasting nothing. A revenue forecast must add up, so it forecasts the mean.

Training is bounded three ways (all in :class:`ForecastConfig`): epochs, windows per
epoch, and wall-clock seconds per training call (``Trainer(max_time=...)``). In a
backtest the first origin trains ``max_epochs``; each later origin and the final fit
continue from the previous weights for ``refit_epochs`` (warm start), so the cost is one
full training plus small top-ups, and no origin's model has seen its own future.

Determinism and global state: training runs inside ``torch.random.fork_rng`` seeded from
``config.seed``, so the caller's torch RNG is untouched. Torch's intra-op thread count is
set to ``config.threads`` (default 1) for the duration of a training or prediction
call and restored afterwards: on a shared two-core machine two OpenMP threads spinning
against another process were ten times slower than one. Lightning's start-up chatter is
silenced for the duration of a training call only.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import lightning as L
import numpy as np
import torch
from torch import nn

from ml.forecasting.config import LEVELS, ForecastConfig
from ml.forecasting.models.lstm_data import RevenueDataModule, Windows
from ml.forecasting.models.panel import Panel

TWEEDIE_POWER = 1.5  # between Poisson (1, counts) and gamma (2, sizes): lumpy revenue


class RevenueLSTM(L.LightningModule):
    """LSTM encoder + MLP head emitting ``horizon`` calendar-weighted, scaled forecasts."""

    def __init__(
        self,
        n_input: int,
        n_future: int,
        horizon: int,
        hidden_size: int = 64,
        layers: int = 2,
        dropout: float = 0.1,
        learning_rate: float = 3e-3,
        input_length: int = 26,  # kept in hparams so a stored state can rebuild its windows
        scale_length: int = 52,
        weight_decay: float = 1e-4,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.encoder = nn.LSTM(
            n_input, hidden_size, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0
        )
        self.head = nn.Sequential(
            nn.Linear(hidden_size + len(LEVELS) + horizon * n_future, hidden_size),
            nn.ReLU(),
            nn.Linear(hidden_size, horizon),
        )
        # Start from "the run rate": a zero log-ratio for every step. The network then
        # learns departures from the run rate rather than the level from scratch.
        nn.init.zeros_(self.head[-1].weight)
        nn.init.zeros_(self.head[-1].bias)

    def forward(self, x: torch.Tensor, future: torch.Tensor, static: torch.Tensor) -> torch.Tensor:
        """Log of the scaled mean revenue per target period."""
        encoded, _ = self.encoder(x)
        features = torch.cat([encoded[:, -1], static, future.flatten(1)], dim=1)
        log_rate = self.head(features).clamp(-15.0, 15.0)  # per ordinary day's worth
        return log_rate + torch.log(future[..., -1].clamp(min=1e-6))  # x calendar weight

    def predict_mean(
        self, x: torch.Tensor, future: torch.Tensor, static: torch.Tensor
    ) -> torch.Tensor:
        """Scaled mean revenue per target period."""
        return torch.exp(self(x, future, static))

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        log_mu = self(batch["x"], batch["future"], batch["static"])
        p = TWEEDIE_POWER
        deviance = -batch["target"] * torch.exp((1 - p) * log_mu) / (1 - p) + torch.exp(
            (2 - p) * log_mu
        ) / (2 - p)
        loss = (deviance * batch["mask"]).sum() / batch["mask"].sum().clamp(min=1.0)
        self.log("train_tweedie", loss, prog_bar=False, batch_size=len(log_mu))
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(
            self.parameters(),
            lr=self.hparams.learning_rate,
            weight_decay=self.hparams.weight_decay,
        )


@dataclass(frozen=True)
class LSTMState:
    """A trained network as plain arrays: picklable with joblib, no torch object inside."""

    grain: str
    hparams: dict
    weights: dict[str, np.ndarray]
    covariate_names: tuple[str, ...]
    covariate_mean: np.ndarray
    covariate_std: np.ndarray
    epochs: int
    seconds: float


def train_lstm(
    panel: Panel,
    cutoff: int,
    config: ForecastConfig,
    *,
    previous: LSTMState | None = None,
    epochs: int | None = None,
    seconds: float | None = None,
) -> LSTMState | None:
    """Train (or, given ``previous``, continue training) on periods before ``cutoff``,
    for ``epochs`` (default ``max_epochs``) or ``seconds`` of wall time, whichever ends
    first (default: this call's share of ``lstm_budget_seconds``).

    Returns the new state, or ``previous`` unchanged when there is no training window
    (no series has a win before ``cutoff``).
    """
    horizon = config.per_grain("horizon", panel.grain)
    if previous is None:
        names = panel.covariate_names
        seen = panel.covariates[:cutoff]
        mean = seen.mean(0) if len(seen) else np.zeros(len(names), np.float32)
        std = seen.std(0) + 1e-6 if len(seen) else np.ones(len(names), np.float32)
    else:
        names, mean, std = previous.covariate_names, previous.covariate_mean, previous.covariate_std
    length = config.per_grain("lstm_input_length", panel.grain)
    scale_length = config.per_grain("run_rate_window", panel.grain)
    covariates = _covariates(panel, names, mean, std)
    windows = Windows(panel, cutoff, horizon, length, covariates, scale_length)
    data = RevenueDataModule(
        windows, config.lstm_batch_size, config.lstm_samples_per_epoch, config.seed + cutoff
    )
    if len(windows.training_samples()) == 0:
        return previous
    epochs = epochs if epochs is not None else config.max_epochs
    started = time.perf_counter()
    with _quiet_lightning(), _threads(config.threads), torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed + cutoff)
        module = RevenueLSTM(
            windows.n_input,
            windows.n_future,
            horizon,
            config.lstm_hidden_size,
            config.lstm_layers,
            config.lstm_dropout,
            config.lstm_learning_rate,
            length,
            scale_length,
            config.lstm_weight_decay,
        )
        if previous is not None:
            module.load_state_dict({k: torch.from_numpy(v) for k, v in previous.weights.items()})
        trainer = L.Trainer(
            accelerator="cpu",
            devices=1,
            max_epochs=max(epochs, 1),
            max_time=timedelta(seconds=seconds or config.lstm_call_budget(epochs, 1)),
            fast_dev_run=config.lstm_fast_dev_run,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
        )
        trainer.fit(module, datamodule=data)
    return LSTMState(
        grain=panel.grain,
        hparams=dict(module.hparams),
        weights={k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()},
        covariate_names=names,
        covariate_mean=mean,
        covariate_std=std,
        epochs=(previous.epochs if previous else 0) + trainer.current_epoch,
        seconds=(previous.seconds if previous else 0.0) + time.perf_counter() - started,
    )


def predict_lstm(state: LSTMState, panel: Panel, origin: int, threads: int = 1) -> np.ndarray:
    """``(series, horizon)`` forecasts from ``origin``; 0 for a series with no win before it."""
    horizon, input_length = state.hparams["horizon"], state.hparams["input_length"]
    cov = _covariates(panel, state.covariate_names, state.covariate_mean, state.covariate_std)
    windows = Windows(panel, origin, horizon, input_length, cov, state.hparams["scale_length"])
    samples = np.column_stack(
        [np.arange(len(panel.segments)), np.full(len(panel.segments), origin)]
    )
    batch = windows.batch(samples)
    module = RevenueLSTM(**state.hparams)
    module.load_state_dict({k: torch.from_numpy(v) for k, v in state.weights.items()})
    module.eval()
    with _threads(threads), torch.no_grad():
        scaled = module.predict_mean(batch["x"], batch["future"], batch["static"]).numpy()
    forecast = np.clip(scaled, 0.0, None) * batch["scale"].numpy()[:, None]
    return np.where((windows.first < origin)[:, None], forecast, 0.0).astype(float)


def _covariates(
    panel: Panel, names: tuple[str, ...], mean: np.ndarray, std: np.ndarray
) -> np.ndarray:
    """Panel covariates in ``names`` order, z-scored; a missing one is held at its mean."""
    out = np.zeros((panel.length, len(names)), dtype=np.float32)
    for j, name in enumerate(names):
        if name in panel.covariate_names:
            column = panel.covariates[:, panel.covariate_names.index(name)]
            out[:, j] = (column - mean[j]) / std[j]
    return out


@contextlib.contextmanager
def _threads(count: int) -> Iterator[None]:
    """Run with ``count`` torch intra-op threads, then restore the process' setting."""
    before = torch.get_num_threads()
    torch.set_num_threads(max(count, 1))
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def _quiet_lightning() -> Iterator[None]:
    """Silence Lightning's banner and data-loader hints for one training call."""
    loggers = [logging.getLogger(n) for n in ("lightning.pytorch", "lightning.fabric")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*does not have many workers.*")
            warnings.filterwarnings("ignore", message=".*max_time.*")
            # lightning 2.6 on torch 2.13 (its own internals, nothing of ours).
            warnings.filterwarnings("ignore", message=".*treespec, LeafSpec.*")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
