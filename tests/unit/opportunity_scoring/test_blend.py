"""The blend of the logistic and XGBoost win candidates (ml.opportunity_scoring.blend)."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from test_deal_scoring import synthetic_deals as deal_rows

from ml.modelling.features import FeatureSpec
from ml.opportunity_scoring.blend import BLEND, fit_blend
from ml.opportunity_scoring.config import OpportunityScoringConfig
from ml.opportunity_scoring.features import WON, deal_spec, model_inputs
from ml.opportunity_scoring.score import score_with_model
from ml.opportunity_scoring.train import (
    DealModel,
    fit_stage_rates,
    fit_win_candidates,
    split_by_creation,
)


def synthetic_deals(n: int) -> pd.DataFrame:
    """Deals whose outcome depends on activity, stage and amount."""
    return deal_rows(n, amount_slope=0.0003)


@pytest.fixture(scope="module")
def fitted():
    rows = synthetic_deals(n=300)
    spec = deal_spec(rows)
    split = split_by_creation(rows, 0.25, 0.2)
    config = OpportunityScoringConfig(min_won_deals=1, min_lost_deals=1)
    candidates = fit_win_candidates(rows, spec, split, config)
    logistic, xgboost = candidates[0].model, candidates[1].model
    inputs = model_inputs(rows, spec)
    labels = rows[WON].to_numpy().astype(int)
    return rows, spec, split, logistic, xgboost, inputs, labels


def test_the_blends_factors_add_up_to_its_probability_exactly(fitted):
    rows, spec, split, logistic, xgboost, inputs, labels = fitted
    blend = fit_blend(logistic, xgboost, inputs.iloc[split.calibration], labels[split.calibration])
    contributions, bias = blend.contributions(inputs)
    assert contributions.shape == (len(rows), len(spec.columns))
    np.testing.assert_allclose(
        1 / (1 + np.exp(-(contributions.sum(axis=1) + bias))), blend.predict_proba(inputs)
    )
    model = DealModel(blend, None, fit_stage_rates(rows, WON, 20, 0.5), {"*": 30.0})
    probability, factors, _ = score_with_model(model, rows.head(5), top_factors=3)
    np.testing.assert_allclose(probability, blend.predict_proba(inputs.head(5)))
    assert json.loads(factors[0])["positive"] or json.loads(factors[0])["negative"]
    assert blend.kind == BLEND and model.spec == spec


def test_the_blend_is_the_weighted_calibrated_log_odds_rescaled(fitted):
    _, _, split, logistic, xgboost, inputs, labels = fitted
    blend = fit_blend(
        logistic, xgboost, inputs.iloc[split.calibration], labels[split.calibration], (0.25,)
    )
    assert blend.weight == 0.25

    def logit(m):
        return m.platt_slope * m.margin(inputs) + m.platt_intercept

    expected = blend.platt_slope * (0.25 * logit(logistic) + 0.75 * logit(xgboost))
    np.testing.assert_allclose(
        blend.predict_proba(inputs), 1 / (1 + np.exp(-(expected + blend.platt_intercept)))
    )


def test_the_weight_is_the_one_with_the_lowest_calibration_log_loss(fitted):
    _, _, split, logistic, xgboost, inputs, labels = fitted
    x, y = inputs.iloc[split.calibration], labels[split.calibration]

    def loss(blend):
        p = np.clip(blend.predict_proba(x), 1e-12, 1 - 1e-12)
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

    chosen = fit_blend(logistic, xgboost, x, y, (0.0, 0.3, 0.5, 0.7, 1.0))
    for w in (0.0, 0.3, 0.7, 1.0):
        assert loss(chosen) <= loss(fit_blend(logistic, xgboost, x, y, (w,))) + 1e-9


def test_a_pickled_deal_model_with_a_blend_scores_the_same(fitted):
    rows, _, split, logistic, xgboost, inputs, labels = fitted
    blend = fit_blend(logistic, xgboost, inputs.iloc[split.calibration], labels[split.calibration])
    model = DealModel(blend, None, fit_stage_rates(rows, WON, 20, 0.5), {"*": 30.0})
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.win.predict_proba(inputs), blend.predict_proba(inputs))


def test_members_on_different_features_cannot_be_blended(fitted):
    _, spec, split, logistic, xgboost, inputs, labels = fitted
    other = pickle.loads(pickle.dumps(xgboost))
    other.spec = FeatureSpec(spec.numeric[:1], spec.categorical, {})
    with pytest.raises(ValueError, match="^the blend's members must read the same features$"):
        fit_blend(logistic, other, inputs, labels)
    with pytest.raises(ValueError, match="^the blend needs at least one weight to try$"):
        fit_blend(logistic, xgboost, inputs, labels, ())
    assert isinstance(inputs, pd.DataFrame)
