"""Train, calibration and holdout rows: by time, whole leads at a time.

The holdout is the most recent ``holdout_fraction`` of mature leads by creation time
(Dynamics 365 validates on the most recent 20%, never a random split): the model is
judged on the leads closest to the ones it will score. The calibration slice is the most
recent part of what remains. A lead's snapshots always stay together, so no lead is
seen in training and judged in the holdout.

When creation times cannot order the leads (too few distinct days, e.g. an export that
stamped every lead with its export date), the split falls back to a seeded random split
stratified by label, and says so in ``method``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.lead_scoring.features import LABEL, MIN_DATED_DAYS

TIME_ORDERED, STRATIFIED_RANDOM = "time_ordered", "stratified_random"
# Fewer distinct creation days than this and time cannot order the leads (the same
# threshold says an export of outcomes has no dates of its own).
MIN_DISTINCT_CREATION_DAYS = MIN_DATED_DAYS


@dataclass(frozen=True)
class Split:
    """Row positions of each part and how they were chosen."""

    train: np.ndarray
    calibration: np.ndarray
    holdout: np.ndarray
    method: str
    # Leads created before this were available to training; later ones only to the
    # holdout (None for the random split). A later challenger is compared with this
    # model on holdout rows created at or after it.
    holdout_starts_at: pd.Timestamp | None


def split_rows(
    rows: pd.DataFrame, holdout_fraction: float, calibration_fraction: float, seed: int
) -> Split:
    """Split labelled snapshots (ordered by ``created_at``) into the three parts.

    Raises:
        ValueError: fewer than 3 leads, too few to split.
    """
    leads = rows.groupby("lead_id", sort=False).agg(
        created_at=("created_at", "first"), label=(LABEL, "max")
    )
    if len(leads) < 3:
        raise ValueError(f"need at least 3 labelled leads to split, got {len(leads)}")
    created = pd.to_datetime(leads["created_at"])
    if created.dt.normalize().nunique() >= MIN_DISTINCT_CREATION_DAYS:
        order = np.argsort(created.to_numpy(), kind="stable")
        method = TIME_ORDERED
    else:
        order = _stratified_order(leads["label"].to_numpy(), seed)
        method = STRATIFIED_RANDOM
    n = len(order)
    n_holdout = max(1, round(n * holdout_fraction))
    n_calibration = max(1, round((n - n_holdout) * calibration_fraction))
    part = np.empty(n, dtype=np.int8)
    part[order[: n - n_holdout - n_calibration]] = 0
    part[order[n - n_holdout - n_calibration : n - n_holdout]] = 1
    part[order[n - n_holdout :]] = 2
    row_part = rows["lead_id"].map(pd.Series(part, index=leads.index)).to_numpy()
    holdout_start = created.iloc[order[n - n_holdout]] if method == TIME_ORDERED else None
    return Split(
        train=np.flatnonzero(row_part == 0),
        calibration=np.flatnonzero(row_part == 1),
        holdout=np.flatnonzero(row_part == 2),
        method=method,
        holdout_starts_at=holdout_start,
    )


def _stratified_order(labels: np.ndarray, seed: int) -> np.ndarray:
    """A random order of leads in which every tail holds both labels in proportion.

    Positives and negatives are shuffled separately and interleaved by their rank
    fraction, so any suffix (the holdout, the calibration slice) is stratified.
    """
    rng = np.random.default_rng(seed)
    keys = np.empty(len(labels))
    for value in (False, True):
        members = np.flatnonzero(labels == value)
        keys[members] = (rng.permutation(len(members)) + rng.random(len(members))) / max(
            len(members), 1
        )
    return np.argsort(keys, kind="stable")
