"""Great Expectations on DataFrames: a failing expectation fails, an erroring one fails louder.

The suites of the tables models will write (expectations/ml/) are tried on hand-made
frames: one that passes and one that breaks each rule of the contract.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ml.quality import QualityGateError, validate_frame
from ml.quality.outcomes import gx_error
from ml.quality.specs import load_frame_suite
from ml.quality.validation import Validator


def lead_scores(**changes) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "lead_id": ["L1", "L2", "L3"],
            "score_date": pd.to_datetime(["2024-05-29"] * 3),
            "conversion_probability": [0.91, 0.42, 0.05],
            "score": [91, 42, 5],
            "percentile": [99.0, 50.0, 1.0],
            "grade": ["A", "B", "D"],
            "top_factors": ["demo_request", "web", ""],
            "model_name": ["lead_scoring_xgboost"] * 3,
            "model_version": ["3"] * 3,
            "scored_at": pd.to_datetime(["2024-05-30 01:00"] * 3),
        }
    )
    for column, values in changes.items():
        frame[column] = values
    return frame


def test_valid_lead_scores_pass():
    outcome = validate_frame(lead_scores(), "ml.lead_scores")

    assert outcome.success, [e.describe() for e in outcome.blocking]
    outcome.raise_for_failures()  # does not raise


def test_each_broken_contract_rule_of_lead_scores_fails():
    broken = lead_scores(
        lead_id=["L1", "L1", "L3"],  # two rows for one lead and date
        conversion_probability=[1.2, 0.42, 0.05],
        score=[91, 42, -1],
        grade=["A", "E", "D"],
    )

    outcome = validate_frame(broken, "ml.lead_scores")

    assert not outcome.success
    assert sorted(e.expectation for e in outcome.blocking) == [
        "expect_column_values_to_be_between(conversion_probability)",
        "expect_column_values_to_be_between(score)",
        "expect_column_values_to_be_in_set(grade)",
        "expect_compound_columns_to_be_unique(lead_id, score_date)",
    ]
    with pytest.raises(
        QualityGateError,
        match=r"ml.lead_scores: expect_column_values_to_be_in_set"
        r"\(grade\) failed: 1 of 3 rows",
    ):
        outcome.raise_for_failures()


def test_a_missing_column_is_an_error_of_the_gate_with_the_gx_message():
    outcome = validate_frame(lead_scores().drop(columns=["grade"]), "ml.lead_scores")

    errored = [e for e in outcome.blocking if e.error]
    assert {e.expectation for e in errored} == {"expect_column_values_to_be_in_set(grade)"}
    assert 'The column "grade" in BatchData does not exist' in errored[0].error
    missing_columns = next(e for e in outcome.blocking if "match_set" in e.expectation)
    assert not missing_columns.success and missing_columns.error is None


def opportunity_scores(win_probability: list[float], expected_value: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2"],
            "score_date": pd.to_datetime(["2024-05-29"] * 2),
            "win_probability": win_probability,
            "expected_value": expected_value,
            "model_name": ["opportunity_scoring"] * 2,
            "model_version": ["1"] * 2,
            # the columns deal scoring writes beside the contract's (ml/catalog/ml_tables.py)
            "score": [1, 99],
            "slip_probability": [0.2, 0.7],
            "scoring_method": ["model", "stage_win_rate"],
        }
    )


def test_opportunity_scores_need_probabilities_and_non_negative_values():
    assert validate_frame(
        opportunity_scores([0.0, 1.0], [0.0, 10.0]), "ml.opportunity_scores"
    ).success

    outcome = validate_frame(opportunity_scores([0.5, -0.1], [5.0, -1.0]), "ml.opportunity_scores")

    assert sorted(e.expectation for e in outcome.blocking) == [
        "expect_column_values_to_be_between(expected_value)",
        "expect_column_values_to_be_between(win_probability)",
    ]


def forecasts(lower: list[float], forecast: list[float], upper: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "forecast_date": pd.to_datetime(["2024-05-29"] * 2),
            "segment": ["total", "total"],
            "grain": ["month", "month"],
            "period_start": pd.to_datetime(["2024-06-01", "2024-07-01"]),
            "period_end": pd.to_datetime(["2024-06-30", "2024-07-31"]),
            "forecast": forecast,
            "lower": lower,
            "upper": upper,
            "interval_level": [0.8, 0.8],
            "model_name": ["revenue_forecasting_ets"] * 2,
            "model_version": ["2"] * 2,
        }
    )


def test_a_forecast_outside_its_interval_fails():
    assert validate_frame(
        forecasts([90, 80], [100, 100], [110, 120]), "ml.revenue_forecasts"
    ).success

    outcome = validate_frame(forecasts([90, 101], [100, 100], [99, 120]), "ml.revenue_forecasts")

    assert sorted(e.expectation for e in outcome.blocking) == [
        "expect_column_pair_values_a_to_be_greater_than_b(forecast, lower)",
        "expect_column_pair_values_a_to_be_greater_than_b(upper, forecast)",
    ]


def test_a_week_and_a_month_may_start_on_the_same_day_but_a_period_only_once():
    frame = forecasts([90, 80], [100, 100], [110, 120])
    frame["period_start"] = pd.Timestamp("2024-07-01")  # a Monday and a month's first day
    frame["grain"] = ["week", "month"]
    frame["period_end"] = pd.to_datetime(["2024-07-07", "2024-07-31"])
    assert validate_frame(frame, "ml.revenue_forecasts").success
    frame["grain"] = "month"
    outcome = validate_frame(frame, "ml.revenue_forecasts")
    assert [e.expectation for e in outcome.blocking] == [
        "expect_compound_columns_to_be_unique(forecast_date, segment, grain, period_start)"
    ]


def test_every_suite_of_expectations_loads():
    for name in (
        "marts.lead_features",
        "marts.opportunities",
        "marts.daily_revenue",
        "ml.lead_scores",
        "ml.opportunity_scores",
        "ml.revenue_forecasts",
    ):
        assert load_frame_suite(name).expectations


@pytest.mark.parametrize(
    ("info", "message"),
    [
        (None, None),
        ({"raised_exception": False, "exception_message": None}, None),
        ({"raised_exception": True, "exception_message": "boom"}, "boom"),
        (
            {"MetricConfigurationID(x)": {"raised_exception": True, "exception_message": "deep"}},
            "deep",
        ),
        ({"MetricConfigurationID(x)": {"raised_exception": False}}, None),
    ],
)
def test_gx_errors_are_found_in_both_shapes_of_exception_info(info, message):
    assert gx_error(info) == message


def test_data_docs_are_written_with_one_page_per_suite_and_date(tmp_path):
    validator = Validator(tmp_path / "reports", date(2024, 5, 29))
    validator.validate(
        lead_scores(),
        "ml.lead_scores",
        [("expect_column_values_to_not_be_null", {"column": "lead_id"}, {"severity": "table"})],
    )

    index = validator.build_data_docs()

    assert index == tmp_path / "reports" / "data_docs" / "index.html" and index.is_file()
    pages = list((tmp_path / "reports" / "data_docs" / "validations").rglob("*.html"))
    assert [p.relative_to(index.parent / "validations").parts[:3] for p in pages] == [
        ("ml", "lead_scores", "2024-05-29")
    ]


def test_opportunity_scores_need_a_one_to_ninety_nine_score_and_a_known_method():
    frame = opportunity_scores([0.5, 0.5], [1.0, 1.0]).assign(
        score=[0, 50], scoring_method=["model", "guess"]
    )
    outcome = validate_frame(frame, "ml.opportunity_scores")
    assert sorted(e.expectation for e in outcome.blocking) == [
        "expect_column_values_to_be_between(score)",
        "expect_column_values_to_be_in_set(scoring_method)",
    ]
