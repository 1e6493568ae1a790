"""The reference that drift is measured against, and the seeded samples drift runs on.

A model version keeps a sample of its training inputs with its predictions on them
(an MLflow artifact of that version, as parquet). Drift is always measured against
the *champion's* reference: the distribution the serving model was fitted on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PREDICTION = "prediction"


def sample_rows(frame: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    """A seeded random sample of ``size`` rows, kept in the frame's order.

    Takes any frame; returns it unchanged when it has ``size`` rows or fewer. The
    sample depends on the seed, the number of rows and their order only, so read the
    rows in a fixed order (``order by lead_id``) to get the same sample twice. (DuckDB's
    own ``using sample ... repeatable`` is reproducible only when single-threaded.)

    Raises:
        ValueError: ``size`` is not a positive integer.
    """
    rows = _positions(len(frame), size, seed)
    return frame if rows is None else frame.iloc[rows]


def reference_sample(
    inputs: pd.DataFrame, predictions: np.ndarray, size: int, seed: int
) -> pd.DataFrame:
    """A seeded sample of training inputs with the model's prediction on each row.

    Takes the model's training inputs (one row per example, feature columns) and its
    predictions for them (e.g. the predicted conversion probability), in the same
    order. Returns at most ``size`` rows: the sampled inputs with a ``prediction``
    column, on a fresh 0..n-1 index. Store it with the model version (parquet).

    Raises:
        ValueError: ``predictions`` does not have one value per row, ``inputs``
            already has a ``prediction`` column, or ``size`` is not a positive integer.
    """
    predictions = np.asarray(predictions)
    if predictions.ndim != 1 or len(predictions) != len(inputs):
        raise ValueError(
            f"predictions must have one value per input row: {len(inputs)} rows, "
            f"predictions of shape {predictions.shape}."
        )
    if PREDICTION in inputs.columns:
        raise ValueError(f"inputs already have a {PREDICTION!r} column; rename it first.")
    rows = _positions(len(inputs), size, seed)
    if rows is None:
        rows = np.arange(len(inputs))
    sample = inputs.iloc[rows].reset_index(drop=True)
    sample[PREDICTION] = predictions[rows]
    return sample


def _positions(n: int, size: int, seed: int) -> np.ndarray | None:
    """Sorted positions of a seeded sample of ``size`` out of ``n``; None if n <= size."""
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
        raise ValueError(f"sample size must be a positive integer, got {size!r}.")
    if n <= size:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size=int(size), replace=False))
