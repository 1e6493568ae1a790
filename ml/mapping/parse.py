"""Turn the mapping's YAML into a ``MappingSpec``, reporting misspelt keys and wrong shapes.

This checks the mapping's own structure only; whether tables and columns exist in the
contract and in the source files is ``validate``'s job.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ml.mapping.parse_columns import (
    parse_column,
    parse_format,
    parse_joins,
    texts,
    unknown_keys,
    with_table_format,
)
from ml.mapping.rules import DEFAULT_STAGES
from ml.mapping.spec import (
    ColumnSpec,
    MappingSpec,
    Problem,
    RowFilter,
    TablePart,
    ValueFormat,
)

TOP_KEYS = ("delivery_date", "missing", "formats", "stages", "tables")
TABLE_KEYS = (
    "files",
    "rows",
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
DEFAULT_MISSING = ("",)


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
    unknown_keys(data, TOP_KEYS, "(top level)", problems)
    delivery = _delivery_date(data.get("delivery_date"), problems)
    stages = _stages(data.get("stages"), problems)
    missing = texts(data.get("missing", list(DEFAULT_MISSING)), "missing", problems)
    formats = parse_format(data.get("formats"), "formats", problems)
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
    unknown_keys(node, TABLE_KEYS, where, problems)
    files = texts(node.get("files"), f"{where}.files", problems)
    if not files:
        problems.append(Problem(f"{where}.files", "name at least one source file"))
    missing = texts(node.get("missing", list(default_missing)), f"{where}.missing", problems)
    table_format = parse_format(node.get("formats"), f"{where}.formats", problems).over(
        default_format
    )
    joins = parse_joins(node.get("join"), f"{where}.join", problems)
    columns: list[ColumnSpec] = []
    for key in ("columns", "custom_fields"):
        entries = node.get(key, {})
        if not isinstance(entries, dict):
            problems.append(Problem(f"{where}.{key}", "expected a mapping of column names"))
            continue
        for name, spec in entries.items():
            column = parse_column(str(name), spec, f"{where}.{key}.{name}", problems)
            columns.append(with_table_format(column, table_format))
    leakage = texts(node.get("leakage", []), f"{where}.leakage", problems)
    final_state = _final_state(table, node.get("final_state"), f"{where}.final_state", problems)
    rows = _rows(node.get("rows"), f"{where}.rows", problems)
    return TablePart(
        table, files, tuple(columns), missing, leakage, where, joins, final_state, rows
    )


def _rows(node: object, where: str, problems: list[Problem]) -> RowFilter | None:
    """``rows: {column: deal_stage, in: [Won, Lost]}``: keep only the rows with one of
    those values (trimmed, compared exactly) in that source column."""
    if node is None:
        return None
    shape = "expected {column: <source column>, in: [<value>, ...]}"
    if not isinstance(node, dict):
        problems.append(Problem(where, shape))
        return None
    if unknown_keys(node, ("column", "in"), where, problems):
        return None
    column = node.get("column")
    values = node.get("in")
    values = values if isinstance(values, list) else [values] if values is not None else []
    if not isinstance(column, str) or not column or not values:
        problems.append(Problem(where, shape))
        return None
    if not all(isinstance(v, str) for v in values):
        problems.append(Problem(f"{where}.in", "expected a text value or a list of text values"))
        return None
    return RowFilter(column, tuple(v.strip() for v in values), where)


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
    stages = texts(node, "stages", problems)
    if not stages or len(set(stages)) != len(stages) or "" in stages:
        problems.append(Problem("stages", "list each stage once, in pipeline order"))
        return DEFAULT_STAGES
    return stages
