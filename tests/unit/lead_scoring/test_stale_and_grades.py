"""Lead lifecycle: stale leads are flagged and kept out of the active leads' grades and
percentiles; grades are ranks within the active leads or probability bands; factors also
carry their effect on the probability."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from ml.config_file import ConfigError, load_section
from ml.lead_scoring.config import LeadScoringConfig
from ml.lead_scoring.features import readable_name
from ml.lead_scoring.score import lead_scores_frame, rank_grades, stale_leads
from ml.modelling.model import factors_json, top_factor_rows
from ml.quality import validate_frame


def leads(days_since_last_activity, lead_age_days):
    return pd.DataFrame(
        {
            "days_since_last_activity": pd.array(days_since_last_activity, dtype="Int64"),
            "lead_age_days": lead_age_days,
        }
    )


def test_a_lead_idle_longer_than_the_setting_is_stale():
    frame = leads([3, 31, None, None, 30], [40, 200, 10, 45, 30])
    assert stale_leads(frame, 30).tolist() == [False, True, False, True, False]


def scores(probability, stale, **kwargs):
    n = len(probability)
    return lead_scores_frame(
        pd.Series([f"L{i:02d}" for i in range(n)]),
        np.asarray(probability),
        np.array(['{"positive":[],"negative":[]}'] * n, dtype=object),
        score_date=date(2024, 12, 31),
        model_name="lead_scoring",
        model_version="3",
        scoring_method="model",
        scored_at=datetime(2025, 1, 1, 2, 0, tzinfo=UTC),
        grade_cutoffs=(0.5, 0.3, 0.15),
        stale=np.asarray(stale),
        **kwargs,
    )


def test_stale_leads_get_no_grade_or_percentile_and_do_not_shift_the_active_ones():
    # Ten active leads, and two stale ones that would otherwise take the top grades.
    probability = [0.10, 0.09, 0.08, 0.07, 0.06, 0.05, 0.04, 0.03, 0.02, 0.01, 0.9, 0.8]
    stale = [False] * 10 + [True, True]
    frame = scores(probability, stale, grade_method="rank", grade_shares=(0.1, 0.2, 0.3))
    assert frame["grade"].tolist() == [
        "A", "B", "B", "C", "C", "C", "D", "D", "D", "D", None, None,
    ]  # fmt: skip
    assert frame["percentile"].tolist()[:3] == [100.0, 90.0, 80.0]
    assert frame["percentile"].iloc[10:].isna().all()
    assert frame["is_stale"].tolist() == stale
    assert frame["score"].tolist()[10:] == [90, 80]  # still scored
    assert validate_frame(frame, "ml.lead_scores").success


def test_probability_bands_stay_available():
    frame = scores([0.6, 0.35, 0.2, 0.05, 0.7], [False] * 4 + [True], grade_method="probability")
    assert frame["grade"].tolist() == ["A", "B", "C", "D", None]


def test_rank_grades_give_ties_the_better_grade():
    assert rank_grades(np.array([0.5, 0.5, 0.1, 0.1]), (0.25, 0.25, 0.25)).tolist() == [
        "A", "A", "C", "C",
    ]  # fmt: skip


def test_grading_settings_come_from_salespipe_yml_and_bad_values_are_refused(tmp_path):
    path = tmp_path / "salespipe.yml"
    path.write_text(
        "lead_scoring:\n  stale_after_days: 45\n  grade_method: probability\n"
        "  grade_shares: [0.2, 0.3, 0.3]\n"
    )
    config = load_section(path, "lead_scoring", LeadScoringConfig)
    assert (config.stale_after_days, config.grade_method, config.grade_shares) == (
        45, "probability", (0.2, 0.3, 0.3),
    )  # fmt: skip
    assert LeadScoringConfig().grade_method == "rank"
    path.write_text("lead_scoring:\n  grade_method: percent\n")
    with pytest.raises(ConfigError, match="grade_method must be rank or probability"):
        load_section(path, "lead_scoring", LeadScoringConfig)
    path.write_text("lead_scoring:\n  grade_shares: [0.5, 0.4, 0.3]\n")
    with pytest.raises(ConfigError, match="grade_shares must be three positive shares"):
        load_section(path, "lead_scoring", LeadScoringConfig)


def test_factors_carry_their_effect_on_the_probability():
    contributions = np.array([[1.0, -0.5], [0.2, 0.0]])
    inputs = pd.DataFrame({"activities_demo": [2, 0], "lead_age_days": [40, 3]})
    margin = contributions.sum(axis=1) + np.array([-1.0, -1.0])
    long = top_factor_rows(
        contributions, inputs, list(inputs.columns), k=2, margin=margin, readable=readable_name
    )
    document = json.loads(factors_json(long, rows=2)[0])
    sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    demo = document["positive"][0]
    assert demo["feature"] == "activities_demo"
    assert demo["probability_effect"] == pytest.approx(sigmoid(-0.5) - sigmoid(-1.5), abs=1e-4)
    age = document["negative"][0]
    assert age["probability_effect"] == pytest.approx(sigmoid(-0.5) - sigmoid(0.0), abs=1e-4)
    assert age["probability_effect"] < 0
