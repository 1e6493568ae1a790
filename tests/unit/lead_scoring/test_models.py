"""Both candidates: calibrated, exact factors, leakage-proof, robust to new categories."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from ml.lead_scoring.config import LeadScoringConfig
from ml.lead_scoring.features import LABEL, feature_spec, labelled_snapshots, model_inputs
from ml.lead_scoring.train import best_candidate, fit_candidates, split_rows
from ml.modelling.model import LOGISTIC, XGBOOST

CONFIG = LeadScoringConfig(xgboost=LeadScoringConfig().xgboost.__class__(n_estimators=80))


@pytest.fixture(scope="module")
def fitted(leads):
    features, outcomes = leads
    rows = labelled_snapshots(features, outcomes, date(2024, 12, 31), 90)
    spec = feature_spec(features, leakage=set())
    split = split_rows(rows, 0.2, 0.15, seed=0)
    return rows, spec, split, {c.name: c for c in fit_candidates(rows, spec, split, CONFIG)}


@pytest.mark.parametrize("name", [LOGISTIC, XGBOOST])
def test_contributions_add_up_exactly_to_the_calibrated_probability(fitted, name):
    rows, spec, split, candidates = fitted
    model = candidates[name].model
    inputs = model_inputs(rows.iloc[split.holdout], spec)
    contributions, bias = model.contributions(inputs)
    assert contributions.shape == (len(inputs), len(spec.columns))
    rebuilt = 1 / (1 + np.exp(-(contributions.sum(axis=1) + bias)))
    np.testing.assert_allclose(rebuilt, model.predict_proba(inputs), atol=1e-6)


@pytest.mark.parametrize("name", [LOGISTIC, XGBOOST])
def test_candidates_learn_the_signal_and_are_calibrated(fitted, name):
    metrics = fitted[3][name].metrics
    assert metrics.roc_auc > 0.7
    assert metrics.expected_calibration_error < 0.06
    assert metrics.top_decile_lift > 1.5


def test_the_known_drivers_rank_first_for_the_linear_model(fitted):
    rows, spec, split, candidates = fitted
    model = candidates[LOGISTIC].model
    contributions, _ = model.contributions(model_inputs(rows.iloc[split.holdout], spec))
    importance = dict(zip(spec.columns, np.abs(contributions).mean(axis=0), strict=True))
    top3 = sorted(importance, key=importance.get, reverse=True)[:3]
    assert set(top3) == {"activities_total", "source", "attr_budget_confirmed"}


def test_a_column_marked_as_leakage_is_never_a_feature(leads):
    features, outcomes = leads
    rows = labelled_snapshots(features, outcomes, date(2024, 12, 31), 90)
    rows["attr_stage_after_call"] = np.where(rows[LABEL], "won", "lost")  # the outcome itself
    spec = feature_spec(rows.drop(columns=LABEL), leakage={"attr_stage_after_call"})
    split = split_rows(rows, 0.2, 0.15, seed=0)
    for candidate in fit_candidates(rows, spec, split, CONFIG):
        assert "attr_stage_after_call" not in candidate.model.spec.columns
        assert candidate.metrics.roc_auc < 0.95  # with the leak it would be 1.0
    leaky = feature_spec(rows.drop(columns=LABEL), leakage=set())
    assert best_candidate(fit_candidates(rows, leaky, split, CONFIG)).metrics.roc_auc > 0.99


@pytest.mark.parametrize("name", [LOGISTIC, XGBOOST])
def test_unseen_categories_and_missing_values_still_score(fitted, name):
    rows, spec, split, candidates = fitted
    inputs = model_inputs(rows.iloc[split.holdout].head(5), spec)
    inputs["source"] = ["podcast", None, "web", "web", "web"]
    inputs["activities_total"] = np.nan
    probability = candidates[name].model.predict_proba(inputs)
    assert np.isfinite(probability).all() and ((probability > 0) & (probability < 1)).all()


def test_each_candidate_carries_every_hyper_parameter_it_was_fitted_with(fitted):
    from dataclasses import fields

    from ml.lead_scoring.config import LogisticParams, XGBoostParams

    *_, candidates = fitted
    logistic, xgboost = candidates["logistic_regression"].params, candidates["xgboost"].params
    assert set(logistic) == {f"logistic.{f.name}" for f in fields(LogisticParams)}
    assert set(xgboost) == {f"xgboost.{f.name}" for f in fields(XGBoostParams)} | {"seed"}
    assert xgboost["xgboost.n_estimators"] == CONFIG.xgboost.n_estimators
    assert logistic["logistic.C"] == CONFIG.logistic.C
