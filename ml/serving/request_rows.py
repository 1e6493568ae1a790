"""A request's raw rows, as the prepared feature query reads them.

:class:`RequestRows` is an Arrow stream that DuckDB reads afresh at every execution of a
prepared statement (the Arrow PyCapsule stream protocol), so the statement, registered
once per connection, sees each request's rows without being bound again;
:func:`raw_table` makes those rows, typed as ingest types a raw table (the landing
columns as text, then the lineage columns of :data:`ml.contract.LINEAGE_COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TypeAlias

import pandas as pd
import pyarrow as pa

from ml.contract import LINEAGE_COLUMNS

# A request's raw rows: a frame, or columns by name (what the API makes from a request).
Rows: TypeAlias = pd.DataFrame | Mapping[str, Sequence[object]]


class RequestRows:
    """A request's raw rows as an Arrow stream that DuckDB reads afresh at every execution
    (the Arrow PyCapsule stream protocol): a prepared statement that scans it sees the rows
    of :attr:`table` as they are when it runs, without being bound again."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.table = schema.empty_table()

    def clear(self) -> None:
        self.table = self.schema.empty_table()

    def __arrow_c_schema__(self) -> object:
        return self.schema.__arrow_c_schema__()

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self.table.__arrow_c_stream__(requested_schema)


# LINEAGE_COLUMNS's types in Arrow (DuckDB reads them back as those types).
_LINEAGE_TYPES = {
    "_delivery_date": pa.date32(),
    "_source_file": pa.string(),
    "_source_row": pa.int64(),
    "_loaded_at": pa.timestamp("us"),
}
if list(_LINEAGE_TYPES) != list(LINEAGE_COLUMNS):
    raise RuntimeError("ml.contract.LINEAGE_COLUMNS changed: update _LINEAGE_TYPES beside it")


def raw_schema(columns: tuple[str, ...]) -> pa.Schema:
    """A raw table's columns as ingest makes them: the landing columns as text, then lineage."""
    fields = [pa.field(c, pa.string()) for c in columns]
    fields += [pa.field(name, kind) for name, kind in _LINEAGE_TYPES.items()]
    return pa.schema(fields)


def raw_table(columns: tuple[str, ...], rows: Rows, as_of: date) -> pa.Table:
    """``rows`` (text or None; a column they lack is None) as delivered on ``as_of``."""
    n = row_count(rows)
    arrays = [_text_array(rows[c]) if c in rows else pa.nulls(n, pa.string()) for c in columns]
    lineage = {
        "_delivery_date": [as_of] * n,
        "_source_file": ["api"] * n,
        "_source_row": range(1, n + 1),
        "_loaded_at": [datetime(as_of.year, as_of.month, as_of.day)] * n,
    }
    arrays += [pa.array(lineage[name], type=kind) for name, kind in _LINEAGE_TYPES.items()]
    return pa.Table.from_arrays(arrays, schema=raw_schema(columns))


def row_count(rows: Rows) -> int:
    """Rows of a frame, or of a mapping of columns (its first column's length)."""
    if isinstance(rows, pd.DataFrame):
        return len(rows)
    return len(next(iter(rows.values()), ()))


def _text_array(values: Sequence[object]) -> pa.Array:
    """A column as Arrow text: at once when it holds text and missing values (what the API
    sends), else value by value (:func:`_text`)."""
    try:
        return pa.array(values, type=pa.string(), from_pandas=True)  # NaN and None: null
    except pa.ArrowException:  # a number, a bool, ...: written as ingest reads it
        return pa.array([_text(v) for v in list(values)], type=pa.string())


def _text(value: object) -> str | None:
    """A raw cell as the warehouse holds it: text, or None for a missing one (None/NaN)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value if isinstance(value, str) else str(value)
