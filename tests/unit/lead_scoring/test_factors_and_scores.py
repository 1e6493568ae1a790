"""Top factors, grades and the ml.lead_scores frame."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from ml.lead_scoring.config import LeadScoringConfig
from ml.lead_scoring.features import readable_name
from ml.lead_scoring.model.prior import fit_source_prior, prior_factors
from ml.lead_scoring.score import grades, lead_scores_frame
from ml.modelling.model import factors_json, top_factor_rows
from ml.quality import validate_frame


def test_top_factors_pick_the_largest_each_way_with_the_leads_values():
    contributions = np.array([[0.9, -0.2, 0.0, 0.4, -1.1], [0.0, 0.0, 0.0, 0.0, 0.0]])
    inputs = pd.DataFrame(
        {
            "source": ["referral", "web"],
            "activities_total": [7.0, np.nan],
            "industry": [None, "saas"],
            "attr_budget_confirmed": ["yes", "no"],
            "employees": [120.0, 3.5],
        }
    )
    long = top_factor_rows(contributions, inputs, list(inputs.columns), k=3, readable=readable_name)
    documents = [json.loads(d) for d in factors_json(long, rows=2)]
    for factors in documents[0].values():  # without the rows' log-odds, no probability effect
        for factor in factors:
            assert factor.pop("probability_effect") is None
    assert documents[0] == {
        "positive": [
            {"feature": "source", "label": "Lead source", "value": "referral", "impact": 0.9},
            {"feature": "attr_budget_confirmed", "label": "Budget confirmed (custom field)",
             "value": "yes", "impact": 0.4},
        ],
        "negative": [
            {"feature": "employees", "label": "Company employees", "value": "120", "impact": -1.1},
            {"feature": "activities_total", "label": "Activities so far", "value": "7",
             "impact": -0.2},
        ],
    }  # fmt: skip
    assert documents[1] == {"positive": [], "negative": []}  # nothing pushed: no reasons


def test_readable_names():
    assert readable_name("attr_seats_requested") == "Seats requested (custom field)"
    assert readable_name("activities_demo") == "Demos held"
    assert readable_name("some_new_column") == "Some new column"


def test_grades_follow_the_probability_cutoffs():
    p = np.array([0.95, 0.5, 0.49, 0.3, 0.2, 0.15, 0.01])
    assert grades(p, (0.5, 0.3, 0.15)).tolist() == ["A", "A", "B", "B", "C", "C", "D"]


def test_bad_grade_cutoffs_are_refused_with_the_rule():
    with pytest.raises(
        ValueError,
        match=r"grade_cutoffs must be decreasing probabilities in \(0, 1\], got \(0.2, 0.3, 0.1\)",
    ):  # noqa: E501
        LeadScoringConfig(grade_cutoffs=(0.2, 0.3, 0.1))


def frame(ids, probability):
    return lead_scores_frame(
        pd.Series(ids),
        np.asarray(probability),
        np.array(['{"positive":[],"negative":[]}'] * len(ids), dtype=object),
        score_date=date(2024, 12, 31),
        model_name="lead_scoring",
        model_version="3",
        scoring_method="model",
        scored_at=datetime(2025, 1, 1, 2, 0, tzinfo=UTC),
        grade_cutoffs=(0.5, 0.3, 0.15),
    )


def test_the_scores_frame_meets_the_contract():
    scores = frame(["a", "b", "c", "d"], [0.8, 0.1, 0.35, 0.1])
    assert scores["score"].tolist() == [80, 10, 35, 10]
    assert scores["percentile"].tolist() == [100.0, 50.0, 75.0, 50.0]
    assert scores["grade"].tolist() == ["A", "D", "B", "D"]
    assert validate_frame(scores, "ml.lead_scores").success


def test_a_lead_scored_twice_is_refused():
    with pytest.raises(ValueError, match="lead a is scored twice"):
        frame(["a", "a"], [0.1, 0.2])


def test_the_prior_is_a_smoothed_rate_per_source():
    rows = pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(40)],
            "source": ["referral"] * 10 + ["web"] * 30,
            "converted_in_window": [True] * 5 + [False] * 5 + [True] * 3 + [False] * 27,
        }
    )
    prior = fit_source_prior(rows, pseudo_leads=10, default_rate=0.1)
    assert prior.overall_rate == pytest.approx(0.2)
    assert prior.rate_by_source["referral"] == pytest.approx((5 + 10 * 0.2) / 20)
    sources = pd.Series(["referral", "podcast"])
    assert prior.probability(sources).tolist() == pytest.approx([0.35, 0.2])
    long = prior_factors(prior, sources)
    assert long[["row", "direction", "value"]].values.tolist() == [[0, "positive", "referral"]]
    assert fit_source_prior(rows.head(0), 10, 0.1).overall_rate == 0.1
