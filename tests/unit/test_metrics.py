"""Holdout and realised-performance metrics on hand-checkable inputs."""

from __future__ import annotations

import numpy as np
import pytest

from ml.metrics import classification_metrics, expected_calibration_error, top_decile_lift


def test_ece_is_zero_when_every_bin_matches_its_rate():
    y = np.array([0, 0, 0, 1] * 5 + [1, 1, 1, 0] * 5)
    p = np.array([0.25] * 20 + [0.75] * 20)
    assert expected_calibration_error(y, p, bins=2) == pytest.approx(0.0)


def test_ece_measures_the_gap():
    y = np.array([0] * 10 + [1] * 10)
    p = np.array([0.3] * 10 + [0.9] * 10)
    assert expected_calibration_error(y, p, bins=2) == pytest.approx((0.3 + 0.1) / 2)


def test_top_decile_lift():
    y = np.array([1] + [0] * 9 + [1] + [0] * 9)  # 10% overall
    p = np.array([0.9, 0.8] + [0.1] * 18)  # the top 2 (10%) hold one positive
    assert top_decile_lift(y, p) == pytest.approx(5.0)
    assert np.isnan(top_decile_lift(np.zeros(10), np.linspace(0, 1, 10)))


def test_single_class_gives_nan_auc_not_an_error():
    metrics = classification_metrics(np.zeros(5), np.full(5, 0.1))
    assert np.isnan(metrics.roc_auc) and metrics.positives == 0


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="labels and probabilities differ in length: 3 vs 2"):
        classification_metrics(np.zeros(3), np.zeros(2))


def test_the_calibration_noise_floor_tells_chance_from_miscalibration() -> None:
    """On a small holdout a calibrated model's ECE often exceeds a fixed 0.05 by chance;
    the floor (what a calibrated model shows 95% of the time) does not refuse it, and a
    model off by 0.15 still exceeds the floor."""
    from ml.metrics import calibration_noise_floor, expected_calibration_error

    rng = np.random.default_rng(3)
    p = rng.beta(2, 3, 600)
    floor = calibration_noise_floor(p, seed=42)
    calibrated = [
        expected_calibration_error((rng.random(600) < p).astype(float), p) for _ in range(100)
    ]
    assert sum(e > 0.05 for e in calibrated) > 20
    assert sum(e > floor for e in calibrated) < 15
    y = (rng.random(600) < p).astype(float)
    assert expected_calibration_error(y, np.clip(p + 0.15, 0, 1)) > floor
    # large samples: the configured limit governs
    assert calibration_noise_floor(rng.beta(2, 3, 20_000), seed=42) < 0.02
