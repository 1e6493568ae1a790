"""How dbt staging reads raw text, as DuckDB SQL expressions (macros/crm_columns.sql).

The row rules parse values exactly as staging will, so that a row passes the gate if
and only if staging can read it: trimmed text with empty as null, ISO 8601 timestamps
(a value with an offset converted to UTC, one without taken as UTC), dates that may
also be written as timestamps, decimals as DECIMAL(18, 2), booleans in several spellings.
"""

from __future__ import annotations

from collections.abc import Sequence

from ml.quality.specs import ColumnRules

BOOLEANS = ("true", "t", "1", "yes", "y", "false", "f", "0", "no", "n")
# ISO 8601 with an explicit offset; the same pattern as the dbt macro iso_timestamp.
OFFSET = r"[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]*)?)?\s*[+-][0-9]{2}(:?[0-9]{2})?$"


def typed_value(c: ColumnRules, present: Sequence[str]) -> str:
    """The column's parsed value: for a typed column present in the batch, a reference to
    its ``_typed_<column>`` column, which only the batch query (:mod:`ml.quality.batch_sql`)
    computes; otherwise the parsing expression itself."""
    if c.column not in present or not c.type or c.type == "boolean":
        return parsed_value(c, present)
    return typed_name(c.column)


def typed_name(column: str) -> str:
    """The name of the column holding a value parsed once per batch (``_typed_<column>``)."""
    return quote(f"_typed_{column}")


def parsed_value(c: ColumnRules, present: Sequence[str]) -> str:
    """The expression parsing column ``c`` as its ``type`` (NULL when it cannot be parsed)."""
    text = text_value(c.column, present)
    if c.type == "timestamp":
        return iso_timestamp(text)
    if c.type == "date":
        return f"coalesce(try_cast({text} as date), cast({iso_timestamp(text)} as date))"
    sql_type = {"integer": "bigint", "decimal": "decimal(18, 2)", "number": "double"}
    return f"try_cast({text} as {sql_type.get(c.type or '', 'varchar')})"


def iso_timestamp(text: str) -> str:
    """ISO 8601 text as a UTC TIMESTAMP; the SQL of the dbt macro ``iso_timestamp``."""
    return (
        f"case when regexp_matches({text}, {literal(OFFSET)}) "
        f"then timezone('UTC', try_cast({text} as timestamptz)) "
        f"else try_cast({text} as timestamp) end"
    )


def text_value(column: str, present: Sequence[str]) -> str:
    """Trimmed text, empty as NULL; a column missing from the batch is a NULL."""
    return f"nullif(trim({quote(column)}), '')" if column in present else "cast(null as varchar)"


def sql_list(items: list[str]) -> str:
    """A VARCHAR list of the non-NULL values of ``items`` (SQL expressions)."""
    if not items:
        return "cast([] as varchar[])"
    return f"list_filter([{', '.join(items)}], lambda x: x is not null)"


def quote(name: str) -> str:
    """An identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A string literal, single-quoted."""
    return "'" + value.replace("'", "''") + "'"
