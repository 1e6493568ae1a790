"""The small pieces: local models, accuracy, reconciliation, conformal quantiles, selection."""

from __future__ import annotations

import numpy as np
import pytest

from ml.forecasting.models import baselines, intervals
from ml.forecasting.models.accuracy import covered, mase_scale, smape
from ml.forecasting.models.ensemble import combine
from ml.forecasting.models.forecaster import constraint_matrix, reconcile
from ml.forecasting.models.select import choose

SEGMENTS = ["total", "region:a", "region:b", "product:x", "product:y", "rep:r1", "rep:other"]


def test_seasonal_naive_repeats_last_season_and_degrades_to_naive():
    y = np.array([0, 0, 1, 2, 3, 4, 5, 6], dtype=float)  # leading zeros are not history
    ones = np.ones(8)
    assert list(baselines.seasonal_naive(y, ones, np.ones(5), 4)) == [3, 4, 5, 6, 3]
    assert list(baselines.seasonal_naive(y, ones, np.ones(2), 12)) == [6, 6]
    assert list(baselines.seasonal_naive(np.zeros(5), ones, np.ones(2), 4)) == [0, 0]


def test_run_rate_is_calendar_adjusted_mean_times_future_weights():
    y = np.array([10, 20, 10, 20], dtype=float)
    w = np.array([1, 2, 1, 2], dtype=float)  # revenue per unit of calendar weight: 10
    assert list(baselines.run_rate(y, w, np.array([1.0, 3.0]), window=52)) == [10, 30]


def test_ets_forecasts_are_finite_and_non_negative_and_nan_when_too_short():
    rng = np.random.default_rng(0)
    y = rng.gamma(2.0, 50.0, 60)
    forecast = baselines.ets(y, np.ones(60), np.ones(13))
    assert np.isfinite(forecast).all() and (forecast >= 0).all()
    assert np.isnan(baselines.ets(y[:5], np.ones(5), np.ones(3))).all()


def test_mase_scale_and_smape():
    assert mase_scale(np.array([0, 0, 1, 3, 2, 4], dtype=float), season=1) == pytest.approx(5 / 3)
    assert mase_scale(np.array([2, 4, 6], dtype=float), season=52) == pytest.approx(2.0)
    assert np.isnan(mase_scale(np.zeros(4), season=1))
    assert list(smape(np.array([0.0, 100.0]), np.array([0.0, 50.0]))) == pytest.approx([0, 2 / 3])
    assert list(covered(np.array([1.0, 5.0]), np.zeros(2), np.array([2.0, 2.0]))) == [1.0, 0.0]


def test_reconciled_forecasts_are_coherent_and_non_negative():
    base = np.array([[100.0], [70.0], [50.0], [30.0], [60.0], [0.5], [80.0]])
    weights = np.array([1.0, 4.0, 4.0, 4.0, 4.0, 50.0, 4.0])
    out = reconcile(base, SEGMENTS, weights)[:, 0]
    assert (out >= 0).all()
    assert out[1] + out[2] == pytest.approx(out[0])
    assert out[3] + out[4] == pytest.approx(out[0])
    assert out[5] + out[6] == pytest.approx(out[0])
    assert constraint_matrix(SEGMENTS).shape == (3, 7)


def test_reconciliation_keeps_series_without_weight_and_fixes_negatives():
    base = np.array([[10.0], [12.0], [0.0], [5.0], [5.0], [10.0], [0.0]])
    weights = np.array([1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0])  # region:b has no revenue at all
    out = reconcile(base, SEGMENTS, weights)[:, 0]
    assert out[2] == pytest.approx(0.0, abs=1e-6)
    assert out[1] == pytest.approx(out[0])
    # A projection that would push a small series below zero pins it at zero instead.
    base = np.array([[10.0], [5.0], [5.0], [9.0], [0.2], [10.0], [0.0]])
    out = reconcile(base, SEGMENTS, np.array([100.0, 1, 1, 1, 100.0, 1, 1]))[:, 0]
    assert (out >= -1e-9).all()
    assert out[3] + out[4] == pytest.approx(out[0])


def test_conformal_quantile_uses_the_finite_sample_rank():
    values = np.arange(1.0, 11.0)  # 10 values: rank ceil(11 * 0.8) = 9
    assert intervals.conformal_quantile(values, 0.8) == 9.0
    assert intervals.conformal_quantile(values, 0.99) == 10.0
    assert np.isnan(intervals.conformal_quantile(np.array([np.nan]), 0.8))


def test_small_pools_borrow_from_neighbouring_steps():
    errors = np.full((2, 1, 5), np.nan)
    errors[:, 0, 2] = [1.0, 2.0]
    errors[:, 0, 0] = [5.0, 6.0]
    q = intervals.step_quantiles(errors, 0.5, min_count=4)
    assert np.isfinite(q).all()


def test_leave_one_origin_out_coverage_is_near_nominal_on_exchangeable_errors():
    rng = np.random.default_rng(1)
    errors = np.abs(rng.normal(size=(6, 40, 4)))
    levels = np.array(["rep"] * 40)
    for q in (0.8, 0.95):
        coverage = np.nanmean(intervals.loo_coverage(errors, levels, q, min_count=30))
        assert coverage == pytest.approx(q, abs=0.03)


def test_level_quantiles_fall_back_to_the_grain_pool():
    errors = np.abs(np.random.default_rng(2).normal(size=(4, 3, 2)))
    errors[:, 2] = np.nan
    q = intervals.level_quantiles(errors, np.array(["rep", "rep", "total"]), (0.8,), 5)
    np.testing.assert_allclose(q[("total", 0.8)], q[("*", 0.8)])


def test_champions_by_level_and_by_series_with_the_fallback_for_sparse_series():
    per_origin = {
        "ets": np.array([[1.0, 2.0, 1.0], [1.0, 2.0, 1.0]]),
        "lstm": np.array([[2.0, 0.5, 0.5], [2.0, 0.5, 0.5]]),
    }
    levels = np.array(["region", "region", "rep"])
    status = np.array(["ok", "ok", "sparse"])
    assert list(choose(per_origin, levels, status, "series")) == ["ets", "lstm", "run_rate"]
    assert list(choose(per_origin, levels, status, "level")) == ["lstm", "lstm", "run_rate"]


def test_ensemble_is_the_mean_and_keeps_gaps():
    out = combine({"a": np.array([1.0, np.nan]), "b": np.array([3.0, 1.0])}, ("a", "b", "c"))
    assert out[0] == 2.0 and np.isnan(out[1])
    with pytest.raises(ValueError, match="no ensemble member"):
        combine({"a": np.ones(1)}, ("x",))


def test_a_challenger_must_win_clearly_and_mostly_to_replace_the_run_rate():
    levels, status = np.array(["total"]), np.array(["ok"])
    lucky = {  # better on average thanks to one origin, worse on the other three
        "run_rate": np.array([[1.0], [1.0], [1.0], [1.0]]),
        "lstm": np.array([[0.1], [1.1], [1.1], [1.1]]),
    }
    assert choose(lucky, levels, status, "level")[0] == "run_rate"
    close = {"run_rate": np.full((4, 1), 1.0), "ets": np.full((4, 1), 0.99)}
    assert choose(close, levels, status, "level", margin=0.02)[0] == "run_rate"
    assert choose(close, levels, status, "level", margin=0.0)[0] == "ets"
