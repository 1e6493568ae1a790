"""The deal model's MLflow figures draw what they say: the reliability bins, the lift of
each decile (the lift table's), and both ROC curves with their AUCs."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from ml.opportunity_scoring.evaluate import lift_table
from ml.opportunity_scoring.plots import (
    holdout_figures,
    lift_figure,
    reliability_figure,
    roc_figure,
)

RNG = np.random.default_rng(3)
P = np.sort(RNG.uniform(0.05, 0.95, 200))
Y = (RNG.uniform(size=200) < P).astype(float)
STAGE = np.repeat([0.3, 0.5, 0.7, 0.4], 50)


def test_reliability_plots_observed_against_predicted_per_equal_count_bin():
    fig = reliability_figure(Y, P, "t", bins=4)
    diagonal, curve = fig.axes[0].get_lines()
    assert list(diagonal.get_xdata()) == [0, 1]
    assert np.allclose(curve.get_xdata(), [P[i * 50 : (i + 1) * 50].mean() for i in range(4)])
    assert np.allclose(curve.get_ydata(), [Y[i * 50 : (i + 1) * 50].mean() for i in range(4)])
    plt.close(fig)


def test_lift_bars_are_the_lift_table():
    fig = lift_figure(Y, P, "t")
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    assert np.allclose(heights, lift_table(Y, P)["lift"])
    assert len(heights) == 10
    plt.close(fig)


def test_roc_shows_the_model_and_the_stage_rates_with_their_auc():
    fig = roc_figure(Y, P, STAGE, "t")
    labels = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert labels == [
        f"model (AUC {roc_auc_score(Y, P):.3f})",
        f"stage win rates (AUC {roc_auc_score(Y, STAGE):.3f})",
        "chance",
    ]
    plt.close(fig)


def test_one_call_gives_the_three_files():
    figures = holdout_figures(Y, P, STAGE, "logistic_regression")
    assert list(figures) == ["calibration.png", "lift.png", "roc_vs_stage_rates.png"]
    assert figures["lift.png"].axes[0].get_title() == "logistic_regression: lift by decile"
    for figure in figures.values():
        plt.close(figure)


def test_bad_inputs_are_refused_with_the_reason():
    with pytest.raises(ValueError, match=r"^labels and probabilities differ in length or are "
                       r"empty: 3 and 2$"):  # fmt: skip
        reliability_figure(np.array([0, 1, 1]), np.array([0.2, 0.3]), "t")
    with pytest.raises(ValueError, match="^the holdout holds a single outcome; there is no ROC"):
        roc_figure(np.ones(4), np.full(4, 0.5), np.full(4, 0.5), "t")
