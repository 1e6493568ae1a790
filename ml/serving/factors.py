"""A lead's top factors as Python objects, straight from the contributions: the online
path's replacement for the batch's pandas table (:func:`ml.modelling.factors.top_factor_rows`)
and DuckDB JSON (:func:`ml.modelling.factors.factors_json`), whose fixed costs (a frame
per direction, a sort, a DuckDB connection) were most of a one-lead request.

The choice of factors is the batch's own numpy code, step for step (the same
``argpartition``, stable ``argsort``, ``MIN_IMPACT`` cut and rounding of the same arrays);
the values are written as :func:`~ml.modelling.factors.display_values` writes them.
``json.dumps(document, separators=(",", ":"), ensure_ascii=False)`` of each document is
byte for byte the batch's ``factors_json`` (``tests/serving/test_factors.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ml.lead_scoring.model.factors import MIN_IMPACT, probability_effect, readable_name

DIRECTIONS = ("positive", "negative")


def factor_documents(
    contributions: np.ndarray,
    inputs: pd.DataFrame,
    features: list[str],
    k: int,
    margin: np.ndarray,
) -> list[dict]:
    """Per row, ``{"positive": [...], "negative": [...]}`` as the batch's ``top_factors``."""
    n, width = contributions.shape
    documents: list[dict] = [{"positive": [], "negative": []} for _ in range(n)]
    if n == 0 or width == 0:
        return documents
    k = min(k, width)
    labels = [readable_name(f) for f in features]
    writers = [_writer(inputs[f]) for f in features]
    for direction, signed in (("positive", contributions), ("negative", -contributions)):
        top = (
            np.argpartition(-signed, k - 1, axis=1)[:, :k]
            if k < width
            else np.tile(np.arange(width), (n, 1))
        )
        top_values = np.take_along_axis(signed, top, axis=1)
        order = np.argsort(-top_values, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        top_values = np.take_along_axis(top_values, order, axis=1)
        rows, ranks = np.nonzero(top_values > MIN_IMPACT)  # row-major: by row, then rank
        feature_index = top[rows, ranks]
        impact = np.round(contributions[rows, feature_index], 4)
        effect = np.round(
            probability_effect(np.asarray(margin)[rows], contributions[rows, feature_index]), 4
        )
        for row, j, imp, eff in zip(
            rows.tolist(), feature_index.tolist(), impact.tolist(), effect.tolist(), strict=True
        ):
            documents[row][direction].append(
                {
                    "feature": features[j],
                    "label": labels[j],
                    "value": writers[j](row),
                    "impact": imp,
                    "probability_effect": eff,
                }
            )
    return documents


def _writer(column: pd.Series):
    """``row -> text`` of one input column, as ``display_values`` writes it."""
    values = column.tolist()
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):

        def number(row: int) -> str:
            value = float(values[row])
            if math.isnan(value):
                return "missing"
            # value == np.round(value) for a whole number (np.round per value was a tenth
            # of a batch); an infinity is written "inf" by either branch
            if value.is_integer():
                return f"{value:.0f}"
            return f"{value:g}"

        return number

    def text(row: int) -> str:
        value = values[row]
        return "missing" if pd.isna(value) else str(value)

    return text
