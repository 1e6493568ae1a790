"""The column level of a mapping's YAML: a column's source (a source column, a constant
or the delivery date, with value maps, lookups and formats), a table's joins and formats,
and the shared checks for text lists and misspelt keys. :mod:`ml.mapping.parse` reads
the top level and the tables with these."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import replace

from ml.mapping.rules import is_numeric, is_temporal
from ml.mapping.spec import ColumnSpec, Join, Lookup, Problem, Source, ValueFormat

FORMAT_KEYS = ("date", "decimal", "thousands")
SOURCE_KEYS = (
    "column",
    "constant",
    "delivery_date",
    "value_map",
    "missing",
    "lookup",
    "when_present",
    "date_format",
    "decimal",
    "thousands",
)
COLUMN_KEYS = (*SOURCE_KEYS, "fallback")
LOOKUP_KEYS = ("file", "key", "value", "value_map")
JOIN_KEYS = ("file", "on", "key", "columns")
# Only column sources are converted: constants and the delivery date are ISO already.
COLUMN_ONLY_KEYS = (
    "value_map",
    "missing",
    "lookup",
    "when_present",
    "date_format",
    "decimal",
    "thousands",
)


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or an empty string."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def with_table_format(column: ColumnSpec, default: ValueFormat) -> ColumnSpec:
    """The column with the table's (or mapping's) format where its column sources have none.

    Dates apply to date and timestamp columns, separators to number columns; a custom
    field is converted only by a format given on the field itself.
    """
    applies = ValueFormat(
        default.date if is_temporal(column.name) else None,
        default.decimal if is_numeric(column.name) else None,
        default.thousands if is_numeric(column.name) else None,
    )
    sources = tuple(
        replace(s, format=s.format.over(applies)) if s.column is not None else s
        for s in column.sources
    )
    return replace(column, sources=sources)


def parse_format(node: object, where: str, problems: list[Problem]) -> ValueFormat:
    """A ``formats:`` block: {date: <strftime pattern>, decimal: <char>, thousands: <char>}."""
    if node is None:
        return ValueFormat()
    if not isinstance(node, dict):
        problems.append(Problem(where, f"expected a mapping with keys {', '.join(FORMAT_KEYS)}"))
        return ValueFormat()
    unknown_keys(node, FORMAT_KEYS, where, problems)
    return _value_format(
        node.get("date"), node.get("decimal"), node.get("thousands"), where, problems
    )


def _value_format(
    date_pattern: object, decimal: object, thousands: object, where: str, problems: list[Problem]
) -> ValueFormat:
    """Check a date pattern and number separators, wherever they were given."""
    if date_pattern is not None and (not isinstance(date_pattern, str) or "%" not in date_pattern):
        problems.append(
            Problem(where, f"date format {date_pattern!r} has no %-directive (e.g. '%d-%m-%Y')")
        )
        date_pattern = None
    separators: dict[str, str | None] = {}
    for name, value in (("decimal", decimal), ("thousands", thousands)):
        if value is not None and (not isinstance(value, str) or len(value) != 1 or value.isdigit()):
            problems.append(
                Problem(where, f"{name} separator {value!r} must be one character, not a digit")
            )
            value = None
        separators[name] = value
    if separators["decimal"] and separators["decimal"] == separators["thousands"]:
        problems.append(Problem(where, "the decimal and thousands separators must differ"))
        separators = {"decimal": None, "thousands": None}
    return ValueFormat(date_pattern, separators["decimal"], separators["thousands"])


def parse_joins(node: object, where: str, problems: list[Problem]) -> tuple[Join, ...]:
    """``join:`` entries: [{file, on, key (default: on), columns: [...]}, ...]."""
    if node is None:
        return ()
    joins: list[Join] = []
    for i, item in enumerate(node if isinstance(node, list) else [node]):
        at = f"{where}[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(at, f"expected a mapping with keys {', '.join(JOIN_KEYS)}"))
            continue
        unknown_keys(item, JOIN_KEYS, at, problems)
        file, on = item.get("file"), item.get("on")
        key = item.get("key", on)
        columns = texts(item.get("columns"), f"{at}.columns", problems)
        if not all(isinstance(v, str) and v for v in (file, on, key)) or not columns:
            problems.append(
                Problem(at, "expected {file: ..., on: <this table's column>, columns: [...]}")
            )
            continue
        joins.append(Join(file, on, key, columns, at))
    return tuple(joins)


def parse_column(name: str, node: object, where: str, problems: list[Problem]) -> ColumnSpec:
    fallbacks = node.get("fallback", []) if isinstance(node, dict) else []
    sources = [_source(node, where, problems, COLUMN_KEYS)]
    if not isinstance(fallbacks, list):
        fallbacks = [fallbacks]
    for i, item in enumerate(fallbacks):
        sources.append(_source(item, f"{where}.fallback[{i}]", problems, SOURCE_KEYS))
    return ColumnSpec(name, tuple(sources), where)


def _source(node: object, where: str, problems: list[Problem], keys: tuple[str, ...]) -> Source:
    if isinstance(node, str):
        if not node:
            problems.append(Problem(where, "the source column name is empty"))
        return Source(column=node)
    if not isinstance(node, dict):
        problems.append(
            Problem(
                where,
                "expected a source column name or {column: ...}, "
                "{constant: ...} or {delivery_date: true}",
            )
        )
        return Source()
    unknown_keys(node, keys, where, problems)
    kinds = [k for k in ("column", "constant", "delivery_date") if k in node]
    if len(kinds) != 1:
        problems.append(Problem(where, "give exactly one of column, constant or delivery_date"))
    if node.get("delivery_date", "true") != "true":
        problems.append(Problem(f"{where}.delivery_date", "write delivery_date: true"))
    for key in ("column", "constant"):
        if key in node and not isinstance(node[key], str):
            problems.append(Problem(f"{where}.{key}", "expected a single text value"))
    column = node.get("column") if isinstance(node.get("column"), str) else None
    extras = [k for k in COLUMN_ONLY_KEYS if k in node]
    if extras and column is None:
        problems.append(Problem(where, f"{', '.join(extras)} only apply to a source column"))
    value_map = node.get("value_map", {})
    if not isinstance(value_map, dict) or not all(isinstance(v, str) for v in value_map.values()):
        problems.append(
            Problem(f"{where}.value_map", "expected source value: contract value pairs")
        )
        value_map = {}
    missing = texts(node["missing"], f"{where}.missing", problems) if "missing" in node else None
    when_present = node.get("when_present")
    if when_present is not None and not isinstance(when_present, str):
        problems.append(Problem(f"{where}.when_present", "expected a single text value"))
        when_present = None
    value_format = _value_format(
        node.get("date_format"), node.get("decimal"), node.get("thousands"), where, problems
    )
    return Source(
        column=column,
        constant=node.get("constant") if isinstance(node.get("constant"), str) else None,
        delivery_date="delivery_date" in node,
        value_map={str(k).strip(): v.strip() for k, v in value_map.items()},
        missing=missing,
        lookup=_lookup(node.get("lookup"), f"{where}.lookup", problems),
        when_present=when_present,
        format=value_format,
    )


def _lookup(node: object, where: str, problems: list[Problem]) -> Lookup | None:
    if node is None:
        return None
    if isinstance(node, dict):
        unknown_keys(node, LOOKUP_KEYS, where, problems)
        value_map = node.get("value_map", {})
        if not isinstance(value_map, dict) or not all(
            isinstance(v, str) for v in value_map.values()
        ):
            problems.append(
                Problem(f"{where}.value_map", "expected looked-up value: contract value pairs")
            )
            value_map = {}
        if all(isinstance(node.get(k), str) and node[k] for k in ("file", "key", "value")):
            pairs = tuple((str(k).strip(), v.strip()) for k, v in value_map.items())
            return Lookup(node["file"], node["key"], node["value"], pairs)
    problems.append(Problem(where, "expected {file: ..., key: ..., value: ...}"))
    return None


def texts(node: object, where: str, problems: list[Problem]) -> tuple[str, ...]:
    """A text or a list of texts, as a tuple; anything else is a problem."""
    if node is None:
        return ()
    items = node if isinstance(node, list) else [node]
    if not all(isinstance(item, str) for item in items):
        problems.append(Problem(where, "expected a text value or a list of text values"))
        return ()
    return tuple(items)


def unknown_keys(node: dict, allowed: tuple[str, ...], where: str, problems: list[Problem]) -> bool:
    """Report keys of ``node`` not in ``allowed`` (typos); True if there were any."""
    unknown = [str(k) for k in node if k not in allowed]
    for key in unknown:
        hint = did_you_mean(key, allowed) or f" (expected one of: {', '.join(allowed)})"
        problems.append(Problem(where, f"unknown key {key!r}{hint}"))
    return bool(unknown)
