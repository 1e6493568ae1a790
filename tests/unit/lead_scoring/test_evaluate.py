"""Honest holdout figures: one row per lead at each life point, no easy old negatives."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from ml.lead_scoring.evaluate import evaluate_per_lead, life_point_ages, life_point_rows
from ml.lead_scoring.features import LABEL, labelled_snapshots
from ml.metrics import classification_metrics


def aging_snapshots(n_leads: int = 200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Leads seen at ages 0, 7, 30, 60 and, for the negatives, also long after their
    window (ages 120 and 200), as a weekly grid shows an abandoned lead."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for i in range(n_leads):
        positive = rng.random() < 0.3
        ages = [0, 7, 30, 60] + ([] if positive else [120, 200])
        for age in ages:
            rows.append({"lead_id": f"L{i:04d}", "lead_age_days": age})
            labels.append(positive)
    return pd.DataFrame(rows), np.array(labels, dtype=float)


def test_a_model_that_only_knows_age_looks_good_on_all_snapshots_but_not_per_lead() -> None:
    rows, labels = aging_snapshots()
    # "probability" falls with age and says nothing else about the lead
    probability = 1.0 / (1.0 + rows["lead_age_days"].to_numpy() / 30.0)
    inflated = classification_metrics(labels, probability).roc_auc
    honest = evaluate_per_lead(rows, labels, probability, (0, 7, 30), label_window_days=90)
    assert inflated > 0.65
    assert honest.headline_auc == pytest.approx(0.5)
    assert sorted(honest.points) == [0, 7, 30]
    assert all(m.rows == 200 for m in honest.points.values())
    # the scored population leaves out snapshots past the 90-day window
    assert honest.scored_population is not None
    assert honest.scored_population.rows == 800
    assert honest.scored_population.roc_auc == pytest.approx(0.5)


def test_a_model_that_knows_the_lead_is_judged_on_it() -> None:
    rows, labels = aging_snapshots()
    probability = np.where(labels > 0, 0.8, 0.2)
    honest = evaluate_per_lead(rows, labels, probability, (0, 7, 30), label_window_days=90)
    assert honest.headline_auc == pytest.approx(1.0)
    assert honest.as_dict()["auc_at_age_7"] == pytest.approx(1.0)
    assert honest.as_dict()["leads_at_age_7"] == 200


def test_a_point_with_too_few_leads_or_one_class_has_no_figure() -> None:
    rows, labels = aging_snapshots(n_leads=10)
    honest = evaluate_per_lead(rows, labels, np.full(len(rows), 0.5), (0, 7), 90)
    assert honest.points == {}
    assert np.isnan(honest.headline_auc)


def test_life_point_rows_take_each_lead_once() -> None:
    rows = pd.DataFrame({"lead_id": ["A", "A", "B", "B", "C"], "lead_age_days": [0, 0, 7, 0, 30]})
    assert life_point_rows(rows["lead_age_days"], rows["lead_id"], 0).tolist() == [0, 3]
    assert life_point_rows(rows["lead_age_days"], rows["lead_id"], 30).tolist() == [4]


def test_lengths_must_agree() -> None:
    rows, labels = aging_snapshots(n_leads=5)
    with pytest.raises(ValueError, match="rows, labels and probabilities differ in length"):
        evaluate_per_lead(rows, labels[:-1], np.zeros(len(rows)), (0,), 90)


def test_the_ages_are_dbts_life_points() -> None:
    assert life_point_ages() == (0, 7, 30)


def test_snapshots_after_the_window_closed_are_not_training_rows() -> None:
    """A lead abandoned long ago can no longer be a positive: its late snapshots are
    easy negatives that age alone separates, so they are neither trained on nor judged."""
    features = pd.DataFrame(
        {
            "lead_id": ["L1", "L1", "L1", "L2"],
            "created_at": pd.to_datetime(["2024-01-01 10:00"] * 3 + ["2024-01-02 00:00"]),
            "as_of_date": pd.to_datetime(
                ["2024-01-01", "2024-03-30", "2024-04-01", "2024-01-02"]
            ).date,
        }
    )
    outcomes = pd.DataFrame({"lead_id": ["L1", "L2"], "converted_at": [None, "2024-01-03"]})
    rows = labelled_snapshots(features, outcomes, date(2024, 6, 1), label_window_days=90)
    # L1's window closes 2024-03-31 10:00: the 03-30 snapshot is in, the 04-01 one is not
    assert rows[["lead_id", "as_of_date"]].astype(str).values.tolist() == [
        ["L1", "2024-01-01"],
        ["L1", "2024-03-30"],
        ["L2", "2024-01-02"],
    ]
    assert rows[LABEL].tolist() == [False, False, True]
