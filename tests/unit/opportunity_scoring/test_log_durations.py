"""Durations enter the deal models on a log scale, and factors still show the days."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd

from ml.modelling.features import FeatureSpec
from ml.modelling.fit import fit_logistic
from ml.modelling.params import LogisticParams
from ml.opportunity_scoring.features import (
    deal_spec,
    model_inputs,
    readable_name,
    shown_values,
    with_derived,
)
from ml.opportunity_scoring.score import score_with_model
from ml.opportunity_scoring.train import DealModel, StageRates


def deals(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "opportunity_id": [f"O{i}" for i in range(n)],
            "stage": "proposal",
            "close_date": pd.Timestamp("2024-05-01"),
            "days_in_stage": rng.integers(0, 90, n).astype(float),
            "days_since_last_activity": np.where(np.arange(n) % 5 == 0, np.nan, 3.0),
            "activities_30d": rng.poisson(3, n).astype(float),
        }
    )


def test_each_duration_gets_its_log_and_missing_stays_missing():
    frame = pd.DataFrame(
        {"days_in_stage": [0.0, 9.0, -2.0], "days_since_last_activity": [np.nan, 0.0, 1.0]}
    )
    out = with_derived(frame)
    np.testing.assert_allclose(out["log_days_in_stage"], [0.0, np.log(10.0), 0.0])
    assert np.isnan(out["log_days_since_last_activity"][0])
    assert "log_age_days" not in out.columns  # only the durations the frame carries


def test_the_spec_reads_the_logs_and_says_why_the_raw_durations_are_left_out():
    spec = deal_spec(deals())
    assert spec.numeric == (
        "log_days_in_stage", "activities_30d", "log_days_since_last_activity",
    )  # fmt: skip
    assert spec.excluded["days_in_stage"] == "enters on a log scale"
    assert readable_name("log_days_in_stage") == "Days in the current stage"
    assert readable_name("log_something_else") == "Log something else"


def test_a_model_trained_on_the_raw_durations_still_scores():
    # a version registered before the logs reads days_in_stage itself
    rows = deals()
    old = FeatureSpec(("days_in_stage", "activities_30d"), (), {})
    inputs = model_inputs(rows, old)
    assert list(inputs.columns) == ["days_in_stage", "activities_30d"]
    np.testing.assert_array_equal(inputs["days_in_stage"], rows["days_in_stage"])
    labels = (rows["days_in_stage"] > 40).astype(int).to_numpy()
    win = fit_logistic(inputs, labels, old, LogisticParams())
    registered = pickle.dumps(DealModel(win, None, StageRates({}, 0.5, 0), {"*": 30.0}))
    probability, factors, _ = score_with_model(pickle.loads(registered), rows, top_factors=3)
    np.testing.assert_allclose(probability, win.predict_proba(inputs))
    assert "Days in the current stage" in factors[0]


def test_factors_show_the_days_not_their_logarithm():
    rows = deals()
    spec = deal_spec(rows)
    inputs = model_inputs(rows, spec)
    shown = shown_values(inputs, rows)
    np.testing.assert_array_equal(shown["log_days_in_stage"], rows["days_in_stage"])
    np.testing.assert_array_equal(shown["activities_30d"], inputs["activities_30d"])
    labels = (rows["days_in_stage"] > 40).astype(int).to_numpy()
    win = fit_logistic(inputs, labels, spec, LogisticParams())
    model = DealModel(win, None, StageRates({}, 0.5, 0), {"*": 30.0})
    _, factors, _ = score_with_model(model, rows, top_factors=3)
    seen = 0
    for row, text in enumerate(factors):
        for factor in json.loads(text)["positive"] + json.loads(text)["negative"]:
            if factor["feature"] == "log_days_in_stage":
                assert factor["label"] == "Days in the current stage"
                assert float(factor["value"]) == rows["days_in_stage"][row]  # "42", not "3.76"
                seen += 1
    assert seen > 0
