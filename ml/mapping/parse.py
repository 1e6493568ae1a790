"""Turn the mapping's YAML into a ``MappingSpec``, reporting misspelt keys and wrong shapes.

This checks the mapping's own structure only; whether tables and columns exist in the
contract and in the source files is ``validate``'s job.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from ml.mapping.rules import DEFAULT_STAGES
from ml.mapping.spec import ColumnSpec, Lookup, MappingSpec, Problem, Source, TablePart

TOP_KEYS = ("delivery_date", "missing", "stages", "tables")
TABLE_KEYS = ("files", "missing", "columns", "custom_fields", "leakage")
SOURCE_KEYS = ("column", "constant", "delivery_date", "value_map", "missing", "lookup")
COLUMN_KEYS = (*SOURCE_KEYS, "fallback")
LOOKUP_KEYS = ("file", "key", "value")
DEFAULT_MISSING = ("",)


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
    tables = data.get("tables")
    parts: list[TablePart] = []
    if not isinstance(tables, dict) or not tables:
        problems.append(Problem("tables", "map at least one table (tables: {<table>: ...})"))
    else:
        for table, node in tables.items():
            blocks = node if isinstance(node, list) else [node]
            for i, block in enumerate(blocks):
                where = f"tables.{table}" + (f"[{i}]" if isinstance(node, list) else "")
                parts.append(_part(str(table), block, where, missing, problems))
    return MappingSpec(path, delivery, stages, tuple(parts)), problems


def _part(
    table: str, node: object, where: str, default_missing: tuple[str, ...], problems: list[Problem]
) -> TablePart:
    if not isinstance(node, dict):
        problems.append(Problem(where, f"expected a mapping with keys {', '.join(TABLE_KEYS)}"))
        return TablePart(table, (), (), default_missing, (), where)
    _unknown_keys(node, TABLE_KEYS, where, problems)
    files = _texts(node.get("files"), f"{where}.files", problems)
    if not files:
        problems.append(Problem(f"{where}.files", "name at least one source file"))
    missing = _texts(node.get("missing", list(default_missing)), f"{where}.missing", problems)
    columns: list[ColumnSpec] = []
    for key in ("columns", "custom_fields"):
        entries = node.get(key, {})
        if not isinstance(entries, dict):
            problems.append(Problem(f"{where}.{key}", "expected a mapping of column names"))
            continue
        for name, spec in entries.items():
            columns.append(_column(str(name), spec, f"{where}.{key}.{name}", problems))
    leakage = _texts(node.get("leakage", []), f"{where}.leakage", problems)
    return TablePart(table, files, tuple(columns), missing, leakage, where)


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
    extras = [k for k in ("value_map", "missing", "lookup") if k in node]
    if extras and column is None:
        problems.append(Problem(where, f"{', '.join(extras)} only apply to a source column"))
    value_map = node.get("value_map", {})
    if not isinstance(value_map, dict) or not all(isinstance(v, str) for v in value_map.values()):
        problems.append(
            Problem(f"{where}.value_map", "expected source value: contract value pairs")
        )
        value_map = {}
    missing = _texts(node["missing"], f"{where}.missing", problems) if "missing" in node else None
    return Source(
        column=column,
        constant=node.get("constant") if isinstance(node.get("constant"), str) else None,
        delivery_date="delivery_date" in node,
        value_map={str(k).strip(): v.strip() for k, v in value_map.items()},
        missing=missing,
        lookup=_lookup(node.get("lookup"), f"{where}.lookup", problems),
    )


def _lookup(node: object, where: str, problems: list[Problem]) -> Lookup | None:
    if node is None:
        return None
    if isinstance(node, dict):
        _unknown_keys(node, LOOKUP_KEYS, where, problems)
        if all(isinstance(node.get(k), str) and node[k] for k in LOOKUP_KEYS):
            return Lookup(node["file"], node["key"], node["value"])
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
