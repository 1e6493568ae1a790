"""Prediction drift: are tonight's predictions distributed like the model's on its reference?

The reference is the ``prediction`` column of the model's reference sample; the
current side is tonight's predictions (for lead scoring, ``conversion_probability``
from ``ml.lead_scores``). Both are cut to seeded samples of the configured sizes, and
compared with ``config.prediction_test`` (PSI by default). The result has one row, in
the shape of the data-drift rows, with ``feature`` = ``prediction``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ml.monitoring.config import DriftConfig
from ml.monitoring.data_drift import CATEGORICAL, NUMERIC, DriftResult, compare_columns
from ml.monitoring.reference import PREDICTION, sample_rows


def measure_prediction_drift(
    reference_predictions: ArrayLike, current_predictions: ArrayLike, config: DriftConfig
) -> DriftResult:
    """Compare tonight's predictions with the reference's.

    Takes the reference's predictions (e.g. ``reference["prediction"]``) and tonight's
    (e.g. ``conversion_probability``), as numbers; nulls are left out of the test.
    Returns a :class:`DriftResult` with one row; ``drifted`` is that row's verdict.
    No rows tonight is not drift: the row says so and ``drifted`` is False.

    Raises:
        ValueError: a side is not one-dimensional.
    """
    sides = {}
    for name, values, size in (
        ("reference", reference_predictions, config.reference_sample_size),
        ("current", current_predictions, config.current_sample_size),
    ):
        array = np.asarray(values, dtype=float)
        if array.ndim != 1:
            raise ValueError(
                f"{name} predictions must be one-dimensional, got shape {array.shape}."
            )
        sides[name] = sample_rows(pd.DataFrame({PREDICTION: array}), size, config.seed)
    test = (config.prediction_test, config.prediction_threshold)
    rows, snapshot = compare_columns(
        sides["reference"], sides["current"], [PREDICTION], {NUMERIC: test, CATEGORICAL: test}
    )
    drifted = bool(rows["drifted"].iloc[0])
    return DriftResult(rows, float(drifted), drifted, snapshot)
