"""The holdout is the most recent leads; a lead never sits on both sides."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ml.lead_scoring.features import labelled_snapshots
from ml.lead_scoring.train import STRATIFIED_RANDOM, TIME_ORDERED, split_rows


def test_time_ordered_holdout_is_the_most_recent_fifth(leads):
    features, outcomes = leads
    rows = labelled_snapshots(features, outcomes, date(2024, 12, 31), 90)
    split = split_rows(rows, holdout_fraction=0.2, calibration_fraction=0.15, seed=1)
    assert split.method == TIME_ORDERED
    created = pd.to_datetime(rows["created_at"])
    assert created.iloc[split.train].max() <= created.iloc[split.calibration].min()
    assert created.iloc[split.calibration].max() <= created.iloc[split.holdout].min()
    assert created.iloc[split.holdout].min() == split.holdout_starts_at
    assert abs(len(split.holdout) / len(rows) - 0.2) < 0.01
    parts = [set(rows["lead_id"].iloc[p]) for p in (split.train, split.calibration, split.holdout)]
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])


def test_without_usable_dates_the_split_is_stratified_random_and_says_so(leads):
    features, outcomes = leads
    rows = labelled_snapshots(features, outcomes, date(2024, 12, 31), 90)
    rows["created_at"] = pd.Timestamp("2024-01-01")  # an export stamped with one date
    split = split_rows(rows, holdout_fraction=0.2, calibration_fraction=0.15, seed=1)
    assert split.method == STRATIFIED_RANDOM and split.holdout_starts_at is None
    label = rows["converted_in_window"].to_numpy()
    assert abs(label[split.holdout].mean() - label.mean()) < 0.02
    again = split_rows(rows, holdout_fraction=0.2, calibration_fraction=0.15, seed=1)
    assert np.array_equal(split.holdout, again.holdout)
