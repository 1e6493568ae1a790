"""The checks behind ``load_mapping``: each returns the problems it finds, never raises.

``contract_problems`` reads no files; ``file_problems`` reads the files' headers;
``value_problems`` looks at mapped values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ml.contract import LANDING_TABLES
from ml.mapping.parse_columns import did_you_mean
from ml.mapping.rules import (
    ATTR_NAME,
    allowed_values,
    is_temporal,
    parse_iso,
    snake_case,
    vocabulary_name,
)
from ml.mapping.sources import SourceFiles
from ml.mapping.spec import ColumnSpec, Problem, TablePart, ValueFormat
from ml.mapping.transform import MappedFile, source_values


def contract_problems(part: TablePart, stages: tuple[str, ...]) -> list[Problem]:
    """Tables and columns the contract does not have, unmapped required columns, bad
    custom-field names, and constants or value-map targets the column does not allow."""
    table = LANDING_TABLES.get(part.table)
    if table is None:
        hint = did_you_mean(part.table, LANDING_TABLES) or f" ({', '.join(LANDING_TABLES)})"
        return [Problem(part.where, f"not a contract table{hint}")]
    problems: list[Problem] = []
    for spec in part.columns:
        custom = ".custom_fields." in spec.where
        if custom and not table.allows_custom_fields:
            allowing = ", ".join(t.name for t in LANDING_TABLES.values() if t.allows_custom_fields)
            problems.append(
                Problem(spec.where, f"the contract allows custom fields only on {allowing}")
            )
        elif custom and not ATTR_NAME.fullmatch(spec.name):
            example = "attr_" + snake_case(spec.name.removeprefix("attr_"))
            message = f"custom field names must be attr_<snake_case>, e.g. {example!r}"
            problems.append(Problem(spec.where, message))
        elif not custom and spec.name not in table.columns:
            hint = did_you_mean(spec.name, table.columns)
            if spec.name.startswith("attr_"):
                hint += " (custom fields go under custom_fields)"
            message = f"not a column of the contract table {part.table}{hint}"
            problems.append(Problem(spec.where, message))
        problems += _target_problems(part.table, spec, stages)
    for name in table.required:
        if part.column(name) is None:
            message = (
                f"required contract column {name!r} is not mapped "
                "(give a source column, a constant or {delivery_date: true})"
            )
            problems.append(Problem(f"{part.where}.columns", message))
    return problems


def _target_problems(table: str, spec: ColumnSpec, stages: tuple[str, ...]) -> list[Problem]:
    allowed = allowed_values(table, spec.name, stages)
    vocabulary = vocabulary_name(table, spec.name, stages)
    problems: list[Problem] = []
    for i, source in enumerate(spec.sources):
        where = spec.source_where(i)
        if source.constant == "":
            continue  # {constant: ""} leaves the column empty, on purpose (the notes say so)
        if source.constant is not None:
            if allowed is not None and source.constant not in allowed:
                message = f"constant {source.constant!r} is not in {vocabulary}"
                problems.append(Problem(where, message))
            if is_temporal(spec.name) and parse_iso(source.constant) is None:
                message = f"constant {source.constant!r} is not an ISO 8601 date or timestamp"
                problems.append(Problem(where, message))
        if allowed is None:
            continue
        if source.lookup is None and source.when_present is None:
            problems += [
                Problem(f"{where}.value_map", f"{value!r} maps to {target!r}, not in {vocabulary}")
                for value, target in source.value_map.items()
                if target and target not in allowed
            ]
        if source.lookup is not None and source.when_present is None:
            problems += [
                Problem(
                    f"{where}.lookup.value_map",
                    f"{value!r} maps to {target!r}, not in {vocabulary}",
                )
                for value, target in source.lookup.value_map
                if target and target not in allowed
            ]
        if source.when_present is not None and source.when_present not in allowed:
            message = f"when_present {source.when_present!r} is not in {vocabulary}"
            problems.append(Problem(f"{where}.when_present", message))
    return problems


def file_problems(part: TablePart, files: SourceFiles) -> list[Problem]:
    """Source and lookup files that are missing or unreadable, columns not in their
    headers, and leakage entries that name neither a contract nor a source column."""
    problems: list[Problem] = []
    headers: list[list[str]] = []
    joined_names = _join_problems(part, files, problems)
    for name in part.files:
        header = _header(files, name, f"{part.where}.files", problems)
        if header is None:
            continue
        for join in part.joins:
            if join.on not in header:
                problems.append(_not_in_header(f"{join.where}.on", join.on, name, header))
        header = header + joined_names
        headers.append(header)
        if part.rows is not None and part.rows.column not in header:
            where = f"{part.rows.where}.column"
            problems.append(_not_in_header(where, part.rows.column, name, header))
        for spec in part.columns:
            for i, source in enumerate(spec.sources):
                if source.column and source.column not in header:
                    problems.append(
                        _not_in_header(spec.source_where(i), source.column, name, header)
                    )
    for spec in part.columns:
        for i, source in enumerate(spec.sources):
            if source.lookup is None:
                continue
            where = f"{spec.source_where(i)}.lookup"
            header = _header(files, source.lookup.file, where, problems)
            for column in (source.lookup.key, source.lookup.value):
                if header is not None and column not in header:
                    problems.append(_not_in_header(where, column, source.lookup.file, header))
    contract = LANDING_TABLES.get(part.table)
    known = set(contract.columns if contract else ()) | {c.name for c in part.columns}
    for name in part.leakage:
        if headers and name not in known and not any(name in h for h in headers):
            hint = did_you_mean(name, known | {c for h in headers for c in h})
            message = (
                f"{name!r} is neither a column of the contract table {part.table} "
                f"nor a column of {', '.join(part.files)}{hint}"
            )
            problems.append(Problem(f"{part.where}.leakage", message))
    return problems


def _join_problems(part: TablePart, files: SourceFiles, problems: list[Problem]) -> list[str]:
    """Joined files and columns that do not exist; returns the names joins make available."""
    names: list[str] = []
    for join in part.joins:
        header = _header(files, join.file, f"{join.where}.file", problems)
        if header is None:
            continue
        for column in (join.key, *join.columns):
            if column not in header:
                problems.append(_not_in_header(join.where, column, join.file, header))
        names += [join.name(column) for column in join.columns]
    return names


def format_problems(mapped: MappedFile) -> list[Problem]:
    """Values that do not fit their source's date or number format, one problem per
    column source, naming the file, the column, the format, some values and their rows."""
    problems: list[Problem] = []
    for spec in mapped.part.columns:
        for k, source in enumerate(spec.sources):
            fmt = source.format
            if source.column is None or (
                fmt.date is None and not fmt.decimal and not fmt.thousands
            ):
                continue
            plain = source_values(
                replace(source, format=ValueFormat()), mapped.source, mapped.part, mapped.context
            )
            converted = source_values(source, mapped.source, mapped.part, mapped.context)
            bad = plain.notna() & converted.isna()
            if not bad.any():
                continue
            values = sorted(set(plain[bad]))
            shown = ", ".join(repr(v) for v in values[:3]) + (", …" if len(values) > 3 else "")
            expected = (
                f"date_format {fmt.date!r}"
                if fmt.date
                else f"number format (decimal {fmt.decimal or '.'!r}, "
                f"thousands {fmt.thousands or 'none'!r})"
            )
            problems.append(
                Problem(
                    spec.source_where(k),
                    f"values in {mapped.file} column {source.column} do not match {expected}: "
                    f"{shown} ({_rows(list(plain.index[bad]))}); fix the format, or list "
                    "such values under missing",
                )
            )
    return problems


def value_problems(mapped: MappedFile, stages: tuple[str, ...]) -> list[Problem]:
    """Mapped values of a closed vocabulary (stages, statuses, booleans) that it lacks,
    one problem per value, naming the file, the source column and the rows."""
    problems: list[Problem] = []
    table = mapped.part.table
    for spec in mapped.part.columns:
        allowed = allowed_values(table, spec.name, stages)
        if allowed is None:
            continue
        values = mapped.frame[spec.name]
        bad = values.notna() & ~values.isin(allowed)
        for value in sorted(set(values[bad])):
            rows = values.index[bad & (values == value)]
            source = spec.sources[mapped.levels[spec.name][values.index.get_loc(rows[0])]]
            vocabulary = vocabulary_name(table, spec.name, stages)
            if source.lookup is not None:
                origin = f"value {value!r} from {source.lookup.file} column {source.lookup.value}"
            else:
                origin = f"value {value!r} in {mapped.file} column {source.column}"
            if source.value_map:
                text = f"{origin} has no entry in value_map and is not in {vocabulary}"
            else:
                text = f"{origin} is not in {vocabulary} and the column has no value_map"
            problems.append(Problem(spec.where, f"{text} ({_rows(list(rows))})"))
    return problems


def _rows(rows: Sequence[int]) -> str:
    """``rows 3, 9`` or ``1,024 rows: 3, 9, 12, 15, 20, …`` (1-based data rows)."""
    shown = ", ".join(str(r) for r in rows[:5])
    return f"rows {shown}" if len(rows) <= 5 else f"{len(rows):,} rows: {shown}, …"


def _header(files: SourceFiles, name: str, where: str, problems: list[Problem]) -> list[str] | None:
    try:
        return list(files.read(name).columns)
    except FileNotFoundError:
        problems.append(Problem(where, f"source file {name!r} does not exist ({files.path(name)})"))
    except ValueError as exc:
        problems.append(Problem(where, str(exc)))
    return None


def _not_in_header(where: str, column: str, file: str, header: list[str]) -> Problem:
    hint = did_you_mean(column, header)
    if not hint:
        shown = ", ".join(header[:12]) + (", …" if len(header) > 12 else "")
        hint = f" (its columns: {shown})"
    return Problem(where, f"column {column!r} is not in the header of {file}{hint}")
