"""The figures logged with every candidate: calibration, lift/gain and feature importance."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tasks have no display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def calibration_figure(y: np.ndarray, p: np.ndarray, title: str, bins: int = 10) -> Figure:
    """Observed conversion rate against mean predicted probability, per equal-count bin."""
    order = np.argsort(p, kind="stable")
    chunks = np.array_split(order, min(bins, len(p)))
    predicted = [p[c].mean() for c in chunks]
    observed = [y[c].mean() for c in chunks]
    fig, ax = plt.subplots(figsize=(5, 5))
    top = max(max(predicted), max(observed)) * 1.05 or 1.0
    ax.plot([0, top], [0, top], color="grey", linestyle="--", label="perfect calibration")
    ax.plot(predicted, observed, marker="o", label="holdout bins")
    ax.set(xlabel="mean predicted probability", ylabel="observed conversion rate", title=title)
    ax.legend()
    fig.tight_layout()
    return fig


def lift_gain_figure(y: np.ndarray, p: np.ndarray, title: str) -> Figure:
    """Cumulative gain (share of conversions captured) and lift, by share of leads contacted."""
    order = np.argsort(-p, kind="stable")
    captured = np.cumsum(y[order]) / max(y.sum(), 1)
    share = np.arange(1, len(y) + 1) / len(y)
    fig, (gain_ax, lift_ax) = plt.subplots(1, 2, figsize=(10, 4.5))
    gain_ax.plot(share, captured, label="model")
    gain_ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="random")
    gain_ax.set(xlabel="share of leads, best first", ylabel="share of conversions", title="gain")
    gain_ax.legend()
    lift = captured / share
    lift_ax.plot(share, lift)
    lift_ax.axhline(1.0, color="grey", linestyle="--")
    lift_ax.set(xlabel="share of leads, best first", ylabel="lift", title="lift")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def importance_figure(importance: pd.Series, title: str, top: int = 20) -> Figure:
    """Horizontal bars of the largest mean absolute contributions."""
    shown = importance.head(top)[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(shown) + 1.5))
    ax.barh(shown.index, shown.to_numpy())
    ax.set(xlabel="mean |contribution| to log-odds", title=title)
    fig.tight_layout()
    return fig
