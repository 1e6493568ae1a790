"""Map every source file of a mapping through its table blocks, and gather the tables."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ml.contract import LANDING_TABLES
from ml.mapping.sources import SourceFiles
from ml.mapping.spec import Join, Lookup, MappingSpec, Problem, TablePart
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
    empty: dict[Lookup, frozenset[str]] = {}
    problems: list[Problem] = []
    for part in parts:
        for column in part.columns:
            for source in column.sources:
                if source.lookup is None or source.lookup in lookups:
                    continue
                lookup_file = files.read(source.lookup.file)
                table, conflicts, empty[source.lookup] = lookup_table(lookup_file, source.lookup)
                lookups[source.lookup] = table
                problems += [
                    Problem(
                        f"{column.where}.lookup",
                        f"key {key!r} has more than one {source.lookup.value} in "
                        f"{source.lookup.file} column {source.lookup.key}",
                    )
                    for key in conflicts
                ]
    ctx = Context(spec.delivery_date, lookups, empty)
    mapped = []
    for part in parts:
        for name in part.files:
            frame, join_problems = joined(files.read(name), part.joins, files)
            problems += join_problems
            mapped.append(map_file(part, name, frame, ctx))
    return mapped, problems


def joined(
    frame: pd.DataFrame, joins: Sequence[Join], files: SourceFiles
) -> tuple[pd.DataFrame, list[Problem]]:
    """``frame`` with each join's columns added as ``<file stem>.<column>`` (null where
    no row of the joined file has the key), keeping ``frame``'s rows and row numbers.

    Returns the frame and a problem for each joined file whose key repeats: a join must
    find at most one row, or it would multiply the table's rows.
    """
    problems: list[Problem] = []
    for join in joins:
        other = files.read(join.file)
        keys = other[join.key]
        keys = keys[keys.notna() & (keys != "")]
        repeated = sorted(set(keys[keys.duplicated()]))
        if repeated:
            shown = ", ".join(repr(k) for k in repeated[:5])
            problems.append(
                Problem(
                    join.where,
                    f"{len(repeated):,} keys appear more than once in {join.file} column "
                    f"{join.key} ({shown}): a join needs one row per key",
                )
            )
            # empty columns, so the rest of the mapping can still be checked
            frame = frame.assign(**{join.name(c): None for c in join.columns})
            continue
        right = other.loc[keys.index, [join.key, *join.columns]].drop_duplicates(join.key)
        right = right.set_index(join.key)
        for column in join.columns:
            looked_up = frame[join.on].map(right[column])
            frame = frame.assign(**{join.name(column): looked_up.astype(object)})
            frame[join.name(column)] = frame[join.name(column)].where(
                frame[join.name(column)].notna(), None
            )
    return frame, problems


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
