"""An online lead placed in a night's population gets the percentile and grade the batch
gives it: checked against the batch's own lead_scores_frame on ten leads."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from ml.lead_scoring.score import lead_scores_frame
from ml.serving.population import Population, place

SHARES, CUTOFFS = (0.1, 0.2, 0.3), (0.5, 0.3, 0.15)
IDS = np.array([f"L{i}" for i in range(10)], dtype=object)
P = np.array([0.9, 0.05, 0.3, 0.3, 0.12, 0.6, 0.2, 0.45, 0.01, 0.3])
STALE = np.array([False, False, False, False, True, False, False, False, False, False])


def batch(method: str) -> pd.DataFrame:
    return lead_scores_frame(
        pd.Series(IDS), P, np.array(["{}"] * 10, dtype=object), score_date=date(2024, 7, 18),
        model_name="lead_scoring", model_version="1", scoring_method="model",
        scored_at=datetime.now(UTC), grade_cutoffs=CUTOFFS, stale=STALE, grade_method=method,
        grade_shares=SHARES,
    )  # fmt: skip


@pytest.mark.parametrize("method", ["rank", "probability"])
def test_each_lead_scored_online_gets_its_batch_percentile_and_grade(method):
    expected = batch(method)
    population = Population(IDS[~STALE], P[~STALE])
    percentile, grade = place(
        P, IDS, STALE, population, grade_method=method, grade_shares=SHARES,
        grade_cutoffs=CUTOFFS,
    )  # fmt: skip
    assert np.array_equal(percentile, expected["percentile"].to_numpy(), equal_nan=True)
    assert grade.tolist() == expected["grade"].tolist()


def test_a_new_lead_is_placed_among_the_night_without_moving_it():
    population = Population(IDS[~STALE], P[~STALE])
    percentile, grade = place(
        np.array([0.95, 0.0]), np.array(["new-1", "new-2"], dtype=object), np.zeros(2, bool),
        population, grade_method="rank", grade_shares=SHARES, grade_cutoffs=CUTOFFS,
    )  # fmt: skip
    assert percentile.tolist() == [100.0, 10.0]  # 10 of 10; 1 of 10 (itself) at or below 0
    assert grade.tolist() == ["A", "D"]


def test_without_a_scored_night_a_rank_grade_cannot_be_given():
    empty = Population(np.array([], dtype=object), np.array([]))
    percentile, grade = place(
        np.array([0.7]), np.array(["x"], dtype=object), np.zeros(1, bool), empty,
        grade_method="rank", grade_shares=SHARES, grade_cutoffs=CUTOFFS,
    )  # fmt: skip
    assert np.isnan(percentile[0]) and grade[0] is None
