"""Lead scoring's realised performance: which score dates have matured, and their metrics."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ml.lead_scoring.monitor import realised_lead_performance
from ml.metrics import classification_metrics

WINDOW = 30


@pytest.fixture
def scored() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leads scored on 1 March (all created in February) and on 1 May (created in April)."""
    outcomes = pd.DataFrame(
        {
            "lead_id": ["a", "b", "c", "d", "e", "f", "g"],
            "created_at": pd.to_datetime(
                ["2024-02-01", "2024-02-10", "2024-02-20", "2024-02-25"]
                + ["2024-04-20", "2024-04-25", "2024-04-28"],
                utc=True,
            ),
            "converted_at": pd.to_datetime(
                # a: inside the window; b: after it (a negative); c, d: never;
                # e: converted, but only after as_of (not known yet); f, g: never
                ["2024-02-15", "2024-04-01", None, None, "2024-06-20", None, None],
                utc=True,
            ),
        }
    )
    scores = pd.DataFrame(
        {
            "lead_id": ["a", "b", "c", "d", "x", "e", "f", "g"],
            "score_date": [dt.date(2024, 3, 1)] * 5 + [dt.date(2024, 5, 1)] * 3,
            "conversion_probability": [0.9, 0.2, 0.3, 0.1, 0.5, 0.8, 0.1, 0.2],
            "model_version": "3",
        }
    )
    return scores, outcomes


def test_only_score_dates_whose_labels_have_all_matured_are_reported(scored):
    scores, outcomes = scored
    # By 10 May the February leads' windows have closed; the April ones have not.
    found = realised_lead_performance(scores, outcomes, WINDOW, dt.date(2024, 5, 10))
    assert list(found["score_date"]) == [dt.date(2024, 3, 1)]
    march = found.iloc[0]
    assert march["rows"] == 4 and march["positives"] == 1  # b converted after its window
    assert march["rows_excluded"] == 1  # lead x has no outcome row
    expected = classification_metrics(np.array([1, 0, 0, 0]), np.array([0.9, 0.2, 0.3, 0.1]))
    assert march["roc_auc"] == expected.roc_auc == 1.0
    assert march["expected_calibration_error"] == pytest.approx(expected.expected_calibration_error)
    assert march["top_decile_lift"] == pytest.approx(expected.top_decile_lift)


def test_a_conversion_after_as_of_is_not_known_yet(scored):
    scores, outcomes = scored
    # 31 May: the April windows have closed; e converted on 20 June, unknown on 31 May.
    may = realised_lead_performance(scores, outcomes, WINDOW, dt.date(2024, 5, 31))
    assert may.set_index("score_date").loc[dt.date(2024, 5, 1), "positives"] == 0
    # e converted 56 days after creation: a negative for a 30-day window, whenever seen.
    later = realised_lead_performance(scores, outcomes, WINDOW, dt.date(2024, 7, 1))
    assert later.set_index("score_date").loc[dt.date(2024, 5, 1), "positives"] == 0
    longer = realised_lead_performance(scores, outcomes, 90, dt.date(2024, 7, 1))
    assert dt.date(2024, 5, 1) not in set(longer["score_date"])  # 90 days not over yet


def test_nothing_matured_gives_an_empty_frame_with_the_columns(scored):
    scores, outcomes = scored
    found = realised_lead_performance(scores, outcomes, WINDOW, dt.date(2024, 3, 2))
    assert found.empty and {"score_date", "roc_auc", "rows"} <= set(found.columns)


def test_bad_lead_inputs_raise(scored):
    scores, outcomes = scored
    with pytest.raises(ValueError, match="scores is missing the column.*conversion_probability"):
        realised_lead_performance(
            scores.drop(columns="conversion_probability"), outcomes, 30, dt.date(2024, 5, 1)
        )
    with pytest.raises(ValueError, match="one row per lead"):
        realised_lead_performance(scores, pd.concat([outcomes, outcomes]), 30, dt.date(2024, 5, 1))
