"""A request's exact contributions, as :meth:`ml.modelling.model.ExplainableModel.
contributions` computes them, without pandas per column for the linear model.

For the logistic regression the batch's arithmetic is repeated step for step, on the same
float64 arrays, in the same order (``_linear_contributions`` and ``NumericScaling.
transform``), so every value is bit-identical; only the category codes are looked up in
plain dicts instead of ``Series.map`` (which, with its frames and indexes, was a quarter
of a one-lead request). XGBoost goes through the model itself. ``tests/serving/
test_contributions.py`` proves the arrays equal to the model's, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.modelling.model import LOGISTIC, ExplainableModel


def contributions(model: ExplainableModel, inputs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(contributions to the calibrated log-odds: rows x spec.columns, bias per row)."""
    if model.kind != LOGISTIC:
        return model.contributions(inputs)
    margin, bias = _linear(model, inputs)
    return margin * model.platt_slope, bias * model.platt_slope + model.platt_intercept


def _codes(model: ExplainableModel, inputs: pd.DataFrame) -> dict[str, np.ndarray]:
    """``Vocabulary.codes``: 0 for a missing value, 1 for one not kept, else its code."""
    out: dict[str, np.ndarray] = {}
    for column, labels in model.vocabulary.labels.items():
        lookup = {label: code for code, label in enumerate(labels) if code > 1}
        values = inputs[column].tolist()  # model inputs: str, or None when missing
        out[column] = np.array(
            [0 if v is None or v != v else lookup.get(v, 1) for v in values], dtype=np.int64
        )
    return out


def _linear(model: ExplainableModel, inputs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    scaling = model.scaling
    values = np.column_stack(
        [inputs[c].to_numpy(dtype=np.float64) for c in scaling.columns]
    ).reshape(len(inputs), len(scaling.columns))
    missing_mask = np.isnan(values)
    values = np.where(missing_mask, scaling.median, values)
    scaled, missing = (values - scaling.mean) / scaling.scale, missing_mask.astype(np.float64)
    weights = model.estimator.coef_[0]  # type: ignore[attr-defined]
    means = model.training_column_means
    assert means is not None  # a fitted linear model has them
    n_numeric = len(model.spec.numeric)
    out = np.zeros((len(inputs), len(model.spec.columns)))
    out[:, :n_numeric] = (scaled - means[:n_numeric]) * weights[:n_numeric]
    indicator_of = np.flatnonzero(scaling.has_missing)
    offset = n_numeric
    for i, index in enumerate(indicator_of):
        w, m = weights[offset + i], means[offset + i]
        out[:, index] += w * (missing[:, index] - m)
    offset += len(indicator_of)
    for j, (column, codes) in enumerate(_codes(model, inputs).items()):
        width = len(model.vocabulary.labels[column])
        w, m = weights[offset : offset + width], means[offset : offset + width]
        out[:, n_numeric + j] = w[codes] - float(w @ m)
        offset += width
    bias = float(model.estimator.intercept_[0] + weights @ means)  # type: ignore[attr-defined]
    return out, np.full(len(inputs), bias)
