"""How one feature column is made comparable, or why it is not compared.

Numeric columns are compared as floats (nulls and infinities left out); everything
else (strings, booleans, categories) as categories, where a null is a category of its
own, so a change in the share of nulls counts as drift.

Columns that cannot be compared get an explicit row instead of a crash:

- missing on one side: ``drifted`` True, ``note`` "missing in current" (or reference);
- all null on one side: ``drifted`` True, ``note`` "all null in current" (or reference);
- all null (or no rows) on both sides: ``drifted`` False, not compared;
- numeric on one side, text on the other: compared as numbers if every text value
  reads as a number (with a note), else ``drifted`` True, "not comparable";
- dates and times: not compared (``drifted`` False), with a note.

The caller can also say which features are numeric (``numeric=``, e.g. the model's
feature spec); their values are then read as numbers, text that is not one left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NUMERIC, CATEGORICAL = "numeric", "categorical"
NULL_CATEGORY = "(null)"
ROW_COLUMNS = [
    "feature",
    "drift_score",
    "threshold",
    "drifted",
    "stattest",
    "reference_rows",  # values compared: non-null numbers, or all rows of a categorical
    "current_rows",
    "kind",  # numeric, categorical, or empty when the column was not compared
    "note",  # why a column was not compared, or how it was
]
_NUMBER_TYPES = {"integer", "floating", "decimal", "mixed-integer-float"}
_TIME_TYPES = {"datetime", "datetime64", "date", "time", "timedelta", "timedelta64", "period"}


def prepare_column(
    feature: str, reference: pd.DataFrame, current: pd.DataFrame, as_number: bool | None = None
) -> tuple[dict[str, object], tuple[np.ndarray, np.ndarray] | None]:
    """The feature's row so far and the values to compare (None: not compared).

    ``as_number`` says how to compare the column (True: numbers, False: categories);
    None infers it from the values. The values are what the test sees: floats with
    NaN for a numeric column, strings with ``(null)`` for a categorical one. The row
    has ``kind``, the row counts and, for a column that is not compared, its verdict
    and ``note``.

    Raises:
        ValueError: the feature is in neither frame.
    """
    row: dict[str, object] = dict.fromkeys(ROW_COLUMNS)
    row.update(feature=feature, drift_score=np.nan, threshold=np.nan, drifted=False, note="")
    row.update(reference_rows=0, current_rows=0, kind="")
    if feature not in reference.columns and feature not in current.columns:
        raise ValueError(f"feature {feature!r} is in neither the reference nor the current data.")
    if feature not in current.columns:
        row["reference_rows"] = int(reference[feature].notna().sum())
        return {**row, "drifted": True, "note": "missing in current"}, None
    if feature not in reference.columns:
        row["current_rows"] = int(current[feature].notna().sum())
        return {**row, "drifted": True, "note": "missing in reference"}, None
    ref, cur = reference[feature], current[feature]
    counts = (int(ref.notna().sum()), int(cur.notna().sum()))
    nonnull = counts
    row.update(reference_rows=counts[0], current_rows=counts[1])  # non-null values
    if as_number is None:
        kind, note, drifted = _infer_kind(ref, cur)
        if kind is None:
            return {**row, "drifted": drifted, "note": note}, None
    else:
        kind, note = (NUMERIC if as_number else CATEGORICAL), ""
    if counts == (0, 0):
        note = "no rows on both sides" if len(ref) == len(cur) == 0 else "all null on both sides"
        return {**row, "note": note}, None
    for side, count, size in (("reference", counts[0], len(ref)), ("current", counts[1], len(cur))):
        if size == 0:
            return {**row, "note": f"no rows in {side}"}, None
        if count == 0:
            return {**row, "drifted": True, "note": f"all null in {side}"}, None
    values = (_values(ref, kind), _values(cur, kind))
    if kind == NUMERIC:
        counts = (int(np.isfinite(values[0]).sum()), int(np.isfinite(values[1]).sum()))
        if 0 in counts:  # nothing but text or infinities
            side = "reference" if counts[0] == 0 else "current"
            return {**row, "drifted": True, "note": f"no number in {side}"}, None
        dropped = nonnull[0] - counts[0] + nonnull[1] - counts[1]
        if dropped and not note:
            note = f"{dropped} values that are not numbers left out"
    else:
        counts = (len(ref), len(cur))
    row.update(kind=kind, note=note, reference_rows=counts[0], current_rows=counts[1])
    return row, values


def _infer_kind(ref: pd.Series, cur: pd.Series) -> tuple[str | None, str, bool]:
    """(kind, note, drifted): kind None means not compared, for the reason in the note."""
    kinds = (_kind(ref), _kind(cur))
    if None in kinds:
        return None, "dates and times are not compared", False
    known = {k for k in kinds if k != "empty"}
    if not known:
        return None, "all null on both sides", False
    if len(known) == 1:
        return known.pop(), "", False
    # Numeric on one side only: text digits (a CSV read as text) are read as numbers.
    side, text = ("reference", ref) if kinds[0] == CATEGORICAL else ("current", cur)
    if pd.to_numeric(text, errors="coerce").notna().sum() < text.notna().sum():
        return None, f"numeric on one side, text in {side}: not comparable", True
    return NUMERIC, f"text in {side} read as numbers", False


def _kind(values: pd.Series) -> str | None:
    """numeric, categorical, "empty" (all null, type unknown) or None (dates: not compared)."""
    if pd.api.types.is_bool_dtype(values):
        return CATEGORICAL
    if pd.api.types.is_numeric_dtype(values):
        return NUMERIC
    if pd.api.types.is_datetime64_any_dtype(values) or isinstance(values.dtype, pd.PeriodDtype):
        return None
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in _NUMBER_TYPES:
        return NUMERIC
    if inferred in _TIME_TYPES:
        return None
    return "empty" if inferred == "empty" else CATEGORICAL


def _values(values: pd.Series, kind: str) -> np.ndarray:
    if kind == NUMERIC:
        numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
        return np.where(np.isinf(numbers), np.nan, numbers)
    text = values.astype(object).where(values.notna(), NULL_CATEGORY)
    return text.astype(str).to_numpy(dtype=object)
