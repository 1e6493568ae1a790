"""The stored reference sample and the drift settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.monitoring import DriftConfig, reference_sample, sample_rows


def inputs(n: int) -> pd.DataFrame:
    return pd.DataFrame({"lead_id": [f"L{i:08d}" for i in range(n)], "employees": np.arange(n)})


def test_the_reference_is_a_seeded_sample_of_inputs_with_their_predictions():
    frame, predictions = inputs(1_000), np.linspace(0, 1, 1_000)
    sample = reference_sample(frame, predictions, size=100, seed=7)
    assert len(sample) == 100 and list(sample.index) == list(range(100))
    assert list(sample.columns) == ["lead_id", "employees", "prediction"]
    assert sample["employees"].is_monotonic_increasing  # the training order is kept
    assert np.allclose(sample["prediction"], predictions[sample["employees"]])
    pd.testing.assert_frame_equal(sample, reference_sample(frame, predictions, 100, 7))
    assert not sample.equals(reference_sample(frame, predictions, 100, 8))


def test_a_small_training_set_is_kept_whole():
    sample = reference_sample(inputs(5), np.zeros(5), size=100, seed=1)
    assert len(sample) == 5 and (sample["prediction"] == 0).all()
    frame = inputs(5)
    assert sample_rows(frame, 10, seed=1) is frame


@pytest.mark.parametrize(
    ("frame", "predictions", "size", "message"),
    [
        (inputs(3), np.zeros(2), 10, "one value per input row"),
        (inputs(3).assign(prediction=1.0), np.zeros(3), 10, "already have a 'prediction'"),
        (inputs(3), np.zeros(3), 0, "sample size must be a positive integer"),
    ],
)
def test_bad_reference_inputs_raise(frame, predictions, size, message):
    with pytest.raises(ValueError, match=message):
        reference_sample(frame, predictions, size, seed=1)


def test_settings_have_working_defaults_and_flat_params():
    config = DriftConfig()
    assert config.label_window_days == 90 and config.share_drifted_features == 0.3
    params = config.as_params()
    assert params["numeric_test"] == "wasserstein" and params["current_sample_size"] == 20_000
    assert all(isinstance(v, str | int | float) for v in params.values())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"current_sample_size": 0}, "current_sample_size must be an integer of at least 1"),
        ({"cooldown_days": -1}, "cooldown_days must be a non-negative integer"),
        ({"numeric_test": "kolmogorov"}, "numeric_test must be one of"),
        ({"prediction_threshold": 0}, "prediction_threshold must be a positive number"),
        ({"share_drifted_features": 1.5}, r"share_drifted_features must be in \(0, 1\]"),
        ({"label_window_days": True}, "label_window_days must be an integer"),
    ],
)
def test_bad_settings_raise_a_clear_error(change, message):
    with pytest.raises(ValueError, match=message):
        DriftConfig(**change)
