"""The model's inputs of a request's feature rows, as :func:`ml.lead_scoring.features.
model_inputs` makes them, in one frame built from whole columns: the batch function's
per-column pandas steps (a conversion, a mask, a map and an insert per feature) were a
third of a one-lead request.

Each column gets the batch's conversion: a numeric feature becomes float64 (a missing
value NaN; text that is not a number NaN, by ``pd.to_numeric(errors="coerce")``), a
categorical one ``str`` of each value or None for a missing one.
``tests/serving/test_inputs.py`` proves the frames equal, values and dtypes, on edge
values and on every lead of a real night.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.lead_scoring.features import FeatureSpec


def model_inputs(features: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """The feature columns in a stable form: numbers as float, categories as str or None.

    Raises:
        KeyError: a column the model was trained on is missing (the mart changed shape).
    """
    missing = [c for c in spec.columns if c not in features.columns]
    if missing:
        raise KeyError(
            f"lead_features lacks columns the model was trained on: {', '.join(missing)}"
        )
    out: dict[str, np.ndarray] = {}
    for column in spec.numeric:
        values = features[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            out[column] = values.to_numpy(dtype=np.float64, na_value=np.nan)
        else:  # text (a custom attr_* field): what is not a number is missing
            out[column] = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    for column in spec.categorical:
        values = features[column].astype("object").tolist()
        text = np.empty(len(values), dtype=object)
        text[:] = [None if _missing(v) else str(v) for v in values]
        out[column] = text
    return pd.DataFrame(out, index=features.index, columns=spec.columns)


def _missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))
