"""Lead scoring's factors, as ``ml/serving`` and its tests import them.

Scoring itself calls the shared factor table (:mod:`ml.modelling.factors`) with the lead
features' names in words (:func:`ml.lead_scoring.features.readable_name`); this module
only gathers the two under the names the serving code uses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.lead_scoring.features import READABLE_NAMES, readable_name
from ml.modelling import factors
from ml.modelling.factors import MIN_IMPACT, display_values, factors_json, probability_effect

__all__ = [
    "MIN_IMPACT",
    "READABLE_NAMES",
    "display_values",
    "factors_json",
    "probability_effect",
    "readable_name",
    "top_factor_rows",
]


def top_factor_rows(
    contributions: np.ndarray,
    inputs: pd.DataFrame,
    features: list[str],
    k: int,
    margin: np.ndarray | None = None,
) -> pd.DataFrame:
    """Every lead's top ``k`` positive and negative factors, labelled by
    :func:`readable_name` (:func:`ml.modelling.factors.top_factor_rows`)."""
    return factors.top_factor_rows(contributions, inputs, features, k, margin, readable_name)
