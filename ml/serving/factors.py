"""A lead's top factors as Python objects, straight from the contributions: the online
path's replacement for the batch's pandas table (:func:`ml.modelling.model.top_factor_rows`)
and DuckDB JSON (:func:`ml.modelling.model.factors_json`), whose fixed costs (a frame
per direction, a sort, a DuckDB connection) were most of a one-lead request.

The choice of factors is the batch's own code (:func:`ml.modelling.model.top_contributions`,
then the same rounding of the same arrays);
the values are written as :func:`~ml.modelling.model.display_values` writes them.
``json.dumps(document, separators=(",", ":"), ensure_ascii=False)`` of each document is
byte for byte the batch's ``factors_json`` (``tests/serving/test_factors.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ml.lead_scoring.features import readable_name
from ml.modelling.model import probability_effect, top_contributions

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
    labels = [readable_name(f) for f in features]
    writers = [_writer(inputs[f]) for f in features]
    for direction, (rows, _, feature_index) in top_contributions(contributions, k).items():
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
