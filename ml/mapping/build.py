"""Map every source file of a mapping through its table blocks, and gather the tables."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ml.contract import LANDING_TABLES
from ml.mapping.sources import SourceFiles
from ml.mapping.spec import Lookup, MappingSpec, Problem, TablePart
from ml.mapping.transform import Context, MappedFile, lookup_table, map_file


def build(
    spec: MappingSpec, files: SourceFiles, parts: Sequence[TablePart] | None = None
) -> tuple[list[MappedFile], list[Problem]]:
    """Map the source files of ``parts`` (default: all of the spec's) in mapping order.

    Uses ``spec.delivery_date`` (None leaves delivery-date values empty). The source and
    lookup files must exist and hold the columns named (``validate.file_problems``).

    Returns the mapped files, and problems with lookup files (a key with two values).
    """
    parts = spec.parts if parts is None else parts
    lookups: dict[Lookup, dict[str, str]] = {}
    problems: list[Problem] = []
    for part in parts:
        for column in part.columns:
            for source in column.sources:
                if source.lookup is None or source.lookup in lookups:
                    continue
                table, conflicts = lookup_table(files.read(source.lookup.file), source.lookup)
                lookups[source.lookup] = table
                problems += [
                    Problem(
                        f"{column.where}.lookup",
                        f"key {key!r} has more than one {source.lookup.value} in "
                        f"{source.lookup.file} column {source.lookup.key}",
                    )
                    for key in conflicts
                ]
    ctx = Context(spec.delivery_date, lookups)
    mapped = [map_file(part, name, files.read(name), ctx) for part in parts for name in part.files]
    return mapped, problems


def output_columns(table: str, mapped: Sequence[MappedFile]) -> list[str]:
    """Every contract column of ``table`` in contract order, then its custom fields."""
    custom = dict.fromkeys(
        name
        for item in mapped
        if item.part.table == table
        for name in item.frame.columns
        if name.startswith("attr_")
    )
    return list(LANDING_TABLES[table].columns) + list(custom)


def table_frame(table: str, mapped: Sequence[MappedFile]) -> pd.DataFrame:
    """The rows of ``table`` from all its mapped files, in mapping and row order.

    Contract columns the mapping leaves out are present and empty.
    """
    columns = output_columns(table, mapped)
    frames = [item.frame.reindex(columns=columns) for item in mapped if item.part.table == table]
    if not frames:
        return pd.DataFrame(columns=columns, dtype=object)
    return pd.concat(frames, ignore_index=True).astype(object)
