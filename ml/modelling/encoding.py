"""Turning model inputs into numbers, the same way at training and at scoring.

Categories are learnt on the training rows: the ``max_categories`` most frequent values
seen at least ``min_count`` times keep their own code; every other value, including one
first seen at scoring time, shares ``(other)``; a missing value has its own code. Numbers
keep their missing values (XGBoost learns where they go); the linear model gets the
training median and a missing-value indicator instead.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

MISSING, OTHER = "(missing)", "(other)"


@dataclass(frozen=True)
class Vocabulary:
    """Per categorical feature, its labels in code order: MISSING, OTHER, then the kept values."""

    labels: dict[str, tuple[str, ...]]

    def codes(self, inputs: pd.DataFrame) -> dict[str, np.ndarray]:
        """Integer codes of every categorical column of ``inputs``."""
        out: dict[str, np.ndarray] = {}
        for column, labels in self.labels.items():
            lookup = {label: code for code, label in enumerate(labels) if code > 1}
            values = inputs[column]
            codes = values.map(lookup).fillna(1).to_numpy(dtype=np.int64)
            codes[values.isna().to_numpy()] = 0
            out[column] = codes
        return out

    def categorical_frame(self, inputs: pd.DataFrame) -> pd.DataFrame:
        """The categorical columns as pandas categoricals over the learnt labels."""
        return pd.DataFrame(
            {
                column: pd.Categorical.from_codes(codes, categories=list(self.labels[column]))
                for column, codes in self.codes(inputs).items()
            },
            index=inputs.index,
        )


def learn_vocabulary(
    inputs: pd.DataFrame, columns: tuple[str, ...], min_count: int = 20, max_categories: int = 30
) -> Vocabulary:
    """The kept values of each categorical column, most frequent first."""
    labels: dict[str, tuple[str, ...]] = {}
    for column in columns:
        counts = inputs[column].value_counts(dropna=True)
        kept = [str(v) for v, n in counts.items() if n >= min_count][:max_categories]
        labels[column] = (MISSING, OTHER, *kept)
    return Vocabulary(labels)


@dataclass(frozen=True)
class NumericScaling:
    """Training medians, means and spreads of the numeric columns, for the linear model."""

    columns: tuple[str, ...]
    median: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    has_missing: np.ndarray  # bool per column: the column gets a missing indicator

    def transform(self, inputs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(standardised values with medians filled in, missing indicators as 0/1)."""
        values = inputs[list(self.columns)].to_numpy(dtype=np.float64, copy=True)
        missing = np.isnan(values)
        values = np.where(missing, self.median, values)
        return (values - self.mean) / self.scale, missing.astype(np.float64)


def learn_scaling(inputs: pd.DataFrame, columns: tuple[str, ...]) -> NumericScaling:
    """Medians, means and standard deviations of ``columns`` on the training rows."""
    values = inputs[list(columns)].to_numpy(dtype=np.float64).reshape(len(inputs), len(columns))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column: median 0
        median = (
            np.nan_to_num(np.nanmedian(values, axis=0)) if len(values) else np.zeros(len(columns))
        )
    filled = np.where(np.isnan(values), median, values)
    mean = filled.mean(axis=0) if len(filled) else np.zeros(len(columns))
    scale = filled.std(axis=0) if len(filled) else np.ones(len(columns))
    return NumericScaling(
        columns=columns,
        median=median,
        mean=mean,
        scale=np.where(scale > 0, scale, 1.0),
        has_missing=np.isnan(values).any(axis=0),
    )
