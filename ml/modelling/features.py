"""Which columns a model uses, and those columns in the one form every model reads."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class FeatureSpec:
    """Which columns a model uses, by kind, and which it was refused and why."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    excluded: dict[str, str]

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]


def model_inputs(features: pd.DataFrame, spec: FeatureSpec, source: str) -> pd.DataFrame:
    """The feature columns in a stable form: numbers as float, categories as str or None.

    ``source`` names the mart the rows come from, for the error.

    Raises:
        KeyError: a column the model was trained on is missing (the mart changed shape).
    """
    missing = [c for c in spec.columns if c not in features.columns]
    if missing:
        raise KeyError(f"{source} lacks columns the model was trained on: {', '.join(missing)}")
    out = pd.DataFrame(index=features.index)
    for column in spec.numeric:
        out[column] = pd.to_numeric(features[column], errors="coerce").astype("float64")
    for column in spec.categorical:
        values = features[column].astype("object")
        out[column] = values.where(values.notna(), None).map(lambda v: v if v is None else str(v))
    return out
