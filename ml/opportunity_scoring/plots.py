"""The figures logged with every deal-model candidate: reliability (calibration), lift by
decile, and the ROC curve against the stage win rates on the same holdout snapshots.

Pure: labels and probabilities in, matplotlib figures out (the caller logs and closes
them, e.g. ``ml.registry.tracking.log_figures``).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tasks have no display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ml.opportunity_scoring.evaluate import lift_table  # noqa: E402


def reliability_figure(y: np.ndarray, p: np.ndarray, title: str, bins: int = 10) -> Figure:
    """Observed win rate against mean predicted win probability, per equal-count bin,
    with the diagonal a calibrated model follows.

    Raises:
        ValueError: ``y`` and ``p`` differ in length or are empty.
    """
    y, p = _checked(y, p)
    chunks = np.array_split(np.argsort(p, kind="stable"), min(bins, len(p)))
    predicted = [float(p[c].mean()) for c in chunks]
    observed = [float(y[c].mean()) for c in chunks]
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfect calibration")
    ax.plot(predicted, observed, marker="o", label=f"holdout, {len(chunks)} equal-count bins")
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="mean predicted win probability",
           ylabel="observed win rate", title=title)  # fmt: skip
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def lift_figure(y: np.ndarray, p: np.ndarray, title: str) -> Figure:
    """Lift (win rate over the holdout's) of each decile of win probability, 1 = highest;
    the same table as ``evaluate.lift_table``, logged as lift_table.csv.

    Raises:
        ValueError: ``y`` and ``p`` differ in length or are empty.
    """
    y, p = _checked(y, p)
    table = lift_table(y, p)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.bar(table["decile"], table["lift"].fillna(0.0))
    ax.axhline(1.0, color="grey", linestyle="--", label="no lift")
    ax.set(xticks=list(table["decile"]), xlabel="decile of win probability (1 = highest)",
           ylabel="lift (decile win rate / holdout win rate)", title=title)  # fmt: skip
    ax.legend()
    fig.tight_layout()
    return fig


def roc_figure(y: np.ndarray, p: np.ndarray, stage_rate: np.ndarray, title: str) -> Figure:
    """ROC curves of the model and of the stage win rates on the same snapshots, each
    labelled with its AUC.

    Raises:
        ValueError: the arrays differ in length, are empty, or hold a single outcome.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    y, p = _checked(y, p)
    _, stage_rate = _checked(y, stage_rate)
    if not 0 < y.sum() < len(y):
        raise ValueError("the holdout holds a single outcome; there is no ROC curve")
    fig, ax = plt.subplots(figsize=(5, 5))
    for name, score in (("model", p), ("stage win rates", stage_rate)):
        fpr, tpr, _ = roc_curve(y, score)
        ax.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(y, score):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="chance")
    ax.set(xlabel="false positive rate (lost deals ranked high)",
           ylabel="true positive rate (won deals ranked high)", title=title)  # fmt: skip
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def holdout_figures(
    y: np.ndarray, p: np.ndarray, stage_rate: np.ndarray, name: str
) -> dict[str, Figure]:
    """The three figures of one candidate, by file name (``calibration.png``, ``lift.png``,
    ``roc_vs_stage_rates.png``)."""
    return {
        "calibration.png": reliability_figure(y, p, f"{name}: reliability"),
        "lift.png": lift_figure(y, p, f"{name}: lift by decile"),
        "roc_vs_stage_rates.png": roc_figure(y, p, stage_rate, f"{name}: ROC vs stage win rates"),
    }


def _checked(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    if len(y) != len(p) or not len(y):
        raise ValueError(f"labels and probabilities differ in length or are empty: "
                         f"{len(y)} and {len(p)}")  # fmt: skip
    return y, p
