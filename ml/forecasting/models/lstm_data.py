"""Training windows for the global LSTM, and the ``LightningDataModule`` that serves them.

A sample is (series ``s``, first target period ``t``): the input is the ``L`` periods
before ``t``, the target the ``H`` periods from ``t``. Every series is scaled by its own
mean revenue over the ``scale_length`` periods before ``t`` (the run-rate window, a year:
a steadier anchor than the shorter input window; its mean since the first win when that
holds none), so one network serves the total and a small rep alike, and a network that
outputs 1 forecasts the run rate. Periods before a series'
first win, or before the data starts, are zeros with a "history" flag of 0; target
periods at or after the training cutoff are masked out of the loss, which lets the most
recent windows (the ones that know the latest trend) train on the part they can see.

Features per input period: revenue / scale, history flag, calendar weight, the market
indicators (z-scored with the statistics of the first training cutoff), and the calendar
features of :func:`calendar.calendar_features`. Per target period: the calendar
features and weight (known in advance). Per series: its level, one-hot.
"""

from __future__ import annotations

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, RandomSampler

from ml.forecasting import calendar
from ml.forecasting.config import LEVELS
from ml.forecasting.models.panel import Panel

TARGET_CLIP = 50.0  # a window mean of ~0 can make a later deal look 1000x; cap its pull


class Windows:
    """All windows of one panel as seen at ``origin`` (data from ``origin`` on is unknown)."""

    def __init__(
        self,
        panel: Panel,
        origin: int,
        horizon: int,
        input_length: int,
        covariates: np.ndarray,
        scale_length: int | None = None,
    ) -> None:
        self.origin, self.horizon, self.input_length = origin, horizon, input_length
        self.scale_length = scale_length or input_length
        S, pad = len(panel.segments), input_length
        extended = pad + origin + horizon
        first_day = calendar.next_start(panel.periods[0].date(), panel.grain, -pad)
        periods = calendar.period_range(first_day, extended, panel.grain)
        self.y = np.zeros((S, extended), dtype=np.float32)
        self.y[:, pad : pad + origin] = panel.y[:, :origin]
        nonzero = panel.y[:, :origin] > 0
        self.first = np.where(nonzero.any(1), nonzero.argmax(1), origin)  # first win index
        tau = np.arange(extended) - pad
        self.history = ((tau[None, :] >= self.first[:, None]) & (tau < origin)).astype(np.float32)
        self.weight = np.ones(extended, dtype=np.float32)
        self.weight[pad:] = panel.weights(origin, horizon)
        cov = np.zeros((extended, covariates.shape[1]), dtype=np.float32)
        if covariates.shape[1] and origin:
            cov[pad : pad + origin] = covariates[:origin]
            cov[:pad] = covariates[0]
            cov[pad + origin :] = covariates[origin - 1]
        self.known = np.column_stack(
            [calendar.calendar_features(periods, panel.grain), self.weight]
        )
        self.inputs = np.concatenate([self.known[:, :-1], cov], axis=1)  # per period, shared
        self.static = np.eye(len(LEVELS), dtype=np.float32)[
            [LEVELS.index(lv) for lv in panel.levels]
        ]
        self._cum_y = np.concatenate([np.zeros((S, 1)), np.cumsum(self.y * self.history, 1)], 1)
        self._cum_h = np.concatenate([np.zeros((S, 1)), np.cumsum(self.history, 1)], 1)

    @property
    def n_input(self) -> int:
        return 3 + self.inputs.shape[1]

    @property
    def n_future(self) -> int:
        return self.known.shape[1]

    def training_samples(self) -> np.ndarray:
        """``(n, 2)`` array of (series, t): every t after the series' first win, before origin."""
        pairs = [
            (s, t) for s in range(len(self.first)) for t in range(self.first[s] + 1, self.origin)
        ]
        return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)

    def batch(self, samples: np.ndarray) -> dict[str, torch.Tensor]:
        """Tensors for a batch of (series, t) pairs; ``t`` may equal ``origin`` (forecast)."""
        s, t = samples[:, 0], samples[:, 1]
        L_, H, pad = self.input_length, self.horizon, self.input_length
        rows = t[:, None] + np.arange(L_)  # extended index of tau = t-L .. t-1
        since = np.maximum(t + pad - self.scale_length, 0)
        window_sum = self._cum_y[s, t + pad] - self._cum_y[s, since]
        window_n = self._cum_h[s, t + pad] - self._cum_h[s, since]
        all_sum, all_n = self._cum_y[s, t + pad], self._cum_h[s, t + pad]
        scale = np.where(
            window_sum > 0, window_sum / np.maximum(window_n, 1), all_sum / np.maximum(all_n, 1)
        )
        scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
        x = np.concatenate(
            [
                (self.y[s[:, None], rows] / scale[:, None])[..., None],
                self.history[s[:, None], rows][..., None],
                self.weight[rows][..., None],
                self.inputs[rows],
            ],
            axis=2,
        )
        future = t[:, None] + pad + np.arange(H)
        target = self.y[s[:, None], future] / scale[:, None]
        mask = (future - pad < self.origin).astype(np.float32)
        return {
            "x": torch.from_numpy(x.astype(np.float32)),
            "future": torch.from_numpy(self.known[future].astype(np.float32)),
            "static": torch.from_numpy(self.static[s]),
            "target": torch.from_numpy(np.minimum(target, TARGET_CLIP).astype(np.float32)),
            "mask": torch.from_numpy(mask),
            "scale": torch.from_numpy(scale),
        }


class RevenueDataModule(L.LightningDataModule):
    """Serves random training windows; ``samples_per_epoch`` bounds an epoch's cost."""

    def __init__(self, windows: Windows, batch_size: int, samples_per_epoch: int, seed: int):
        super().__init__()
        self.windows, self.batch_size = windows, batch_size
        self.samples_per_epoch, self.seed = samples_per_epoch, seed
        self.samples = np.zeros((0, 2), dtype=np.int64)

    def setup(self, stage: str | None = None) -> None:
        self.samples = self.windows.training_samples()

    def train_dataloader(self) -> DataLoader:
        indices = range(len(self.samples))
        sampler = RandomSampler(
            indices,
            num_samples=min(len(self.samples), self.samples_per_epoch),
            generator=torch.Generator().manual_seed(self.seed),
        )
        return DataLoader(
            indices,
            batch_size=self.batch_size,
            sampler=sampler,
            collate_fn=lambda idx: self.windows.batch(self.samples[np.asarray(idx)]),
        )
