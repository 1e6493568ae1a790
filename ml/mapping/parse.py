"""Turn the mapping's YAML into a ``MappingSpec``, reporting misspelt keys and wrong shapes.

This checks the mapping's own structure only; whether tables and columns exist in the
contract and in the source files is ``validate``'s job.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from pathlib import Path

from ml.mapping.rules import DEFAULT_STAGES, is_numeric, is_temporal
from ml.mapping.spec import (
    ColumnSpec,
    Join,
    Lookup,
    MappingSpec,
    Problem,
    Source,
    TablePart,
    ValueFormat,
)

TOP_KEYS = ("delivery_date", "missing", "formats", "stages", "tables")
TABLE_KEYS = (
    "files",
    "join",
    "final_state",
    "missing",
    "formats",
    "columns",
    "custom_fields",
    "leakage",
)
# Tables whose rows can be final states: a lead's outcome is its status and converted_at.
FINAL_STATE_TABLES = ("leads",)
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
DEFAULT_MISSING = ("",)
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


def parse_mapping(data: object, path: Path) -> tuple[MappingSpec, list[Problem]]:
    """Parse the YAML content of the mapping at ``path``.

    Returns the spec (with whatever parsed) and every structural problem found.
    """
    problems: list[Problem] = []
    if not isinstance(data, dict):
        problems.append(
            Problem("(top level)", f"expected a mapping with keys {', '.join(TOP_KEYS)}")
        )
        return MappingSpec(path, None, DEFAULT_STAGES, ()), problems
    _unknown_keys(data, TOP_KEYS, "(top level)", problems)
    delivery = _delivery_date(data.get("delivery_date"), problems)
    stages = _stages(data.get("stages"), problems)
    missing = _texts(data.get("missing", list(DEFAULT_MISSING)), "missing", problems)
    formats = _format(data.get("formats"), "formats", problems)
    tables = data.get("tables")
    parts: list[TablePart] = []
    if not isinstance(tables, dict) or not tables:
        problems.append(Problem("tables", "map at least one table (tables: {<table>: ...})"))
    else:
        for table, node in tables.items():
            blocks = node if isinstance(node, list) else [node]
            for i, block in enumerate(blocks):
                where = f"tables.{table}" + (f"[{i}]" if isinstance(node, list) else "")
                parts.append(_part(str(table), block, where, missing, formats, problems))
    return MappingSpec(path, delivery, stages, tuple(parts)), problems


def _part(
    table: str,
    node: object,
    where: str,
    default_missing: tuple[str, ...],
    default_format: ValueFormat,
    problems: list[Problem],
) -> TablePart:
    if not isinstance(node, dict):
        problems.append(Problem(where, f"expected a mapping with keys {', '.join(TABLE_KEYS)}"))
        return TablePart(table, (), (), default_missing, (), where)
    _unknown_keys(node, TABLE_KEYS, where, problems)
    files = _texts(node.get("files"), f"{where}.files", problems)
    if not files:
        problems.append(Problem(f"{where}.files", "name at least one source file"))
    missing = _texts(node.get("missing", list(default_missing)), f"{where}.missing", problems)
    table_format = _format(node.get("formats"), f"{where}.formats", problems).over(default_format)
    joins = _joins(node.get("join"), f"{where}.join", problems)
    columns: list[ColumnSpec] = []
    for key in ("columns", "custom_fields"):
        entries = node.get(key, {})
        if not isinstance(entries, dict):
            problems.append(Problem(f"{where}.{key}", "expected a mapping of column names"))
            continue
        for name, spec in entries.items():
            column = _column(str(name), spec, f"{where}.{key}.{name}", problems)
            columns.append(_with_table_format(column, table_format))
    leakage = _texts(node.get("leakage", []), f"{where}.leakage", problems)
    final_state = _final_state(table, node.get("final_state"), f"{where}.final_state", problems)
    return TablePart(table, files, tuple(columns), missing, leakage, where, joins, final_state)


def _final_state(table: str, node: object, where: str, problems: list[Problem]) -> bool:
    """``final_state: true``: each row is a lead as it ended, with its outcome."""
    if node is None or node == "false":
        return False
    if node != "true":
        problems.append(Problem(where, f"write final_state: true or false, not {node!r}"))
        return False
    if table not in FINAL_STATE_TABLES:
        allowed = ", ".join(FINAL_STATE_TABLES)
        problems.append(Problem(where, f"only {allowed} can be a final-state table"))
        return False
    return True


def _with_table_format(column: ColumnSpec, default: ValueFormat) -> ColumnSpec:
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


def _format(node: object, where: str, problems: list[Problem]) -> ValueFormat:
    """A ``formats:`` block: {date: <strftime pattern>, decimal: <char>, thousands: <char>}."""
    if node is None:
        return ValueFormat()
    if not isinstance(node, dict):
        problems.append(Problem(where, f"expected a mapping with keys {', '.join(FORMAT_KEYS)}"))
        return ValueFormat()
    _unknown_keys(node, FORMAT_KEYS, where, problems)
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


def _joins(node: object, where: str, problems: list[Problem]) -> tuple[Join, ...]:
    """``join:`` entries: [{file, on, key (default: on), columns: [...]}, ...]."""
    if node is None:
        return ()
    joins: list[Join] = []
    for i, item in enumerate(node if isinstance(node, list) else [node]):
        at = f"{where}[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(at, f"expected a mapping with keys {', '.join(JOIN_KEYS)}"))
            continue
        _unknown_keys(item, JOIN_KEYS, at, problems)
        file, on = item.get("file"), item.get("on")
        key = item.get("key", on)
        columns = _texts(item.get("columns"), f"{at}.columns", problems)
        if not all(isinstance(v, str) and v for v in (file, on, key)) or not columns:
            problems.append(
                Problem(at, "expected {file: ..., on: <this table's column>, columns: [...]}")
            )
            continue
        joins.append(Join(file, on, key, columns, at))
    return tuple(joins)


def _column(name: str, node: object, where: str, problems: list[Problem]) -> ColumnSpec:
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
    _unknown_keys(node, keys, where, problems)
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
    missing = _texts(node["missing"], f"{where}.missing", problems) if "missing" in node else None
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
        _unknown_keys(node, LOOKUP_KEYS, where, problems)
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


def _delivery_date(node: object, problems: list[Problem]) -> date | None:
    if node is None:
        return None
    try:
        if isinstance(node, str) and len(node) == 10:
            return date.fromisoformat(node)
    except ValueError:
        pass
    problems.append(Problem("delivery_date", f"{node!r} is not a date (YYYY-MM-DD)"))
    return None


def _stages(node: object, problems: list[Problem]) -> tuple[str, ...]:
    if node is None:
        return DEFAULT_STAGES
    stages = _texts(node, "stages", problems)
    if not stages or len(set(stages)) != len(stages) or "" in stages:
        problems.append(Problem("stages", "list each stage once, in pipeline order"))
        return DEFAULT_STAGES
    return stages


def _texts(node: object, where: str, problems: list[Problem]) -> tuple[str, ...]:
    """A text or a list of texts, as a tuple; anything else is a problem."""
    if node is None:
        return ()
    items = node if isinstance(node, list) else [node]
    if not all(isinstance(item, str) for item in items):
        problems.append(Problem(where, "expected a text value or a list of text values"))
        return ()
    return tuple(items)


def _unknown_keys(
    node: dict, allowed: tuple[str, ...], where: str, problems: list[Problem]
) -> bool:
    """Report keys of ``node`` not in ``allowed`` (typos); True if there were any."""
    unknown = [str(k) for k in node if k not in allowed]
    for key in unknown:
        hint = did_you_mean(key, allowed) or f" (expected one of: {', '.join(allowed)})"
        problems.append(Problem(where, f"unknown key {key!r}{hint}"))
    return bool(unknown)
