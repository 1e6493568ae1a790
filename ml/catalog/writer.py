"""The one writer of ``ml.*``, ``monitoring.*`` and ``quarantine.*``.

- :func:`write_partitions` (and :func:`write_partition` for one table) is how a frame
  gets into a table: it creates the table from its declaration if missing (the only DDL
  on those schemas), checks the frame's columns and types against the declaration,
  validates it with the table's Great Expectations suite, then replaces the partition in
  one transaction. A failed check leaves the old rows in place; writing the same
  partition twice gives the same table.
- :func:`append_select` inserts the result of a query (ingest's quarantined rows, in
  bulk), inside the caller's transaction.
- :func:`erase_rows` deletes or blanks rows across tables, for an erasure.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from ml.catalog.declare import Table
from ml.catalog.registry import table_for

OUTPUT_SCHEMAS = ("ml", "monitoring", "quarantine")


class CatalogWriteError(ValueError):
    """A frame that does not fit its table's declaration."""


@dataclass(frozen=True)
class Write:
    """One partition to replace: the table, its new rows, and which partition.

    ``partition`` maps every partition-key column to a value or a list of values; None
    takes the partitions of the rows themselves (an empty frame then changes nothing).
    """

    table: str
    rows: pd.DataFrame
    partition: Mapping[str, Any] | None = field(default=None)


def ensure_table(con: duckdb.DuckDBPyConnection, name: str) -> Table:
    """Create ``name`` from its declaration if missing, add declared columns an older
    table lacks; returns the declaration."""
    table = table_for(name)
    con.execute(f'create schema if not exists "{table.schema}"')
    cols = ", ".join(f'"{c.name}" {c.type}' for c in table.columns)
    con.execute(f"create table if not exists {_ref(table)} ({cols})")
    present = _present_columns(con, table)
    for column in table.columns:
        if column.name not in present:
            con.execute(f'alter table {_ref(table)} add column "{column.name}" {column.type}')
    return table


def add_text_columns(con: duckdb.DuckDBPyConnection, name: str, names: Iterable[str]) -> None:
    """Add text columns the declaration cannot know (custom ``attr_*`` fields)."""
    table = ensure_table(con, name)
    present = _present_columns(con, table)
    for column in dict.fromkeys(names):
        if column not in present:
            con.execute(f'alter table {_ref(table)} add column "{column}" varchar')


def write_partition(
    con: duckdb.DuckDBPyConnection,
    name: str,
    rows: pd.DataFrame,
    partition: Mapping[str, Any] | None = None,
) -> int:
    """Replace one partition of ``name`` with ``rows``; returns the rows written.

    Raises:
        CatalogWriteError: an undeclared table or column, a missing grain or partition
            column, a value that is not of its column's type, a row outside ``partition``.
        QualityGateError: the table's Great Expectations suite failed.
    """
    return write_partitions(con, [Write(name, rows, partition)])[name]


def write_partitions(con: duckdb.DuckDBPyConnection, writes: Sequence[Write]) -> dict[str, int]:
    """Check every write, then replace all their partitions in one transaction (the
    caller's, when it opened one with :func:`transaction`); returns the rows written per
    table.

    Raises:
        CatalogWriteError, QualityGateError: as :func:`write_partition`; nothing is written.
    """
    checked = []
    for write in writes:
        table = table_for(write.table)
        frame = _checked_frame(con, table, write.rows, write.partition)
        if table.suite is not None:
            _validate(frame, table.suite)
        checked.append((table, frame, write.partition))
    for table, _, _ in checked:
        ensure_table(con, table.name)
    written: dict[str, int] = {}
    with transaction(con):
        for table, frame, partition in checked:
            written[table.name] = written.get(table.name, 0) + _replace(
                con, table, frame, partition
            )
    return written


def append_select(
    con: duckdb.DuckDBPyConnection, name: str, select_sql: str, params: Sequence = ()
) -> None:
    """Insert the rows of ``select_sql`` into ``name`` by column name, inside the caller's
    transaction (ingest's batch): for bulk rows that never were a DataFrame."""
    table = ensure_table(con, name)
    con.execute(f"insert into {_ref(table)} by name {select_sql}", list(params))


def erase_rows(
    con: duckdb.DuckDBPyConnection,
    name: str,
    where: str,
    params: Sequence,
    *,
    null_columns: Sequence[str] | None = None,
    assignments: Mapping[str, str] | None = None,
) -> None:
    """Erase the rows of ``name`` matching ``where``: delete them, or, given
    ``null_columns`` (and SQL ``assignments``), keep them with those values cleared.

    Any table of the output schemas may hold a person, declared here or not (an erasure
    finds its tables in the database), so ``name`` need only be in one of them.

    Raises:
        ValueError: ``name`` is not in ``ml``, ``monitoring`` or ``quarantine``.
    """
    schema, _, table = name.partition(".")
    if schema not in OUTPUT_SCHEMAS or not table:
        raise ValueError(
            f"{name} is not in an output schema ({', '.join(OUTPUT_SCHEMAS)}): "
            "the catalog erases only what it writes."
        )
    ref = f'"{schema}"."{table}"'
    if null_columns is None and not assignments:
        con.execute(f"delete from {ref} where {where}", list(params))
        return
    sets = [f'"{c}" = null' for c in null_columns or ()]
    sets += [f'"{c}" = {sql}' for c, sql in (assignments or {}).items()]
    con.execute(f"update {ref} set {', '.join(sets)} where {where}", list(params))


def _checked_frame(
    con: duckdb.DuckDBPyConnection, table: Table, rows: pd.DataFrame, partition
) -> pd.DataFrame:
    declared = table.types
    extra = [c for c in rows.columns if c not in declared and not _custom(table, c)]
    if extra:
        raise CatalogWriteError(
            f"{table.name} has no column {', '.join(map(repr, extra))}; "
            f"its columns are: {', '.join(declared)} (declared in ml/catalog)."
        )
    missing = [c for c in table.required if c not in rows.columns]
    if missing:
        raise CatalogWriteError(
            f"{table.name} needs the column(s) {', '.join(map(repr, missing))} "
            f"(its grain {', '.join(table.grain)}; partition key "
            f"{', '.join(table.partition_by) or 'none: the whole table'})."
        )
    if partition is not None and set(partition) != set(table.partition_by):
        raise CatalogWriteError(
            f"{table.name} is partitioned by {', '.join(table.partition_by) or 'nothing'}, "
            f"not {', '.join(partition) or 'nothing'}."
        )
    typed = [c for c in rows.columns if c in declared]
    if len(rows) and typed:
        con.register("catalog_check_rows", rows)
        try:
            for column in typed:
                bad = con.execute(
                    f'select count(*), any_value("{column}"::varchar) from catalog_check_rows '
                    f'where "{column}" is not null '
                    f'and try_cast("{column}" as {declared[column]}) is null'
                ).fetchall()[0]
                if bad[0]:
                    raise CatalogWriteError(
                        f"{table.name}.{column} must be {declared[column].upper()}: "
                        f"{bad[0]} of {len(rows)} value(s) are not, e.g. {bad[1]!r}."
                    )
            if partition is not None and table.partition_by:
                where, params = _partition_where(table, partition, "catalog_check_rows")
                outside = con.execute(
                    f"select count(*) from catalog_check_rows where not ({where})", params
                ).fetchall()[0][0]
                if outside:
                    raise CatalogWriteError(
                        f"{table.name}: {outside} row(s) fall outside the partition "
                        f"{dict(partition)} being replaced."
                    )
        finally:
            con.unregister("catalog_check_rows")
    return rows


def _replace(con: duckdb.DuckDBPyConnection, table: Table, frame: pd.DataFrame, partition) -> int:
    con.register("catalog_new_rows", frame)
    try:
        if partition is not None:
            where, params = _partition_where(table, partition, _ref(table))
            con.execute(f"delete from {_ref(table)} where {where}", params)
        elif not table.partition_by:
            con.execute(f"delete from {_ref(table)}")
        elif len(frame):
            match = " and ".join(
                f'n."{k}" is not distinct from {_ref(table)}."{k}"' for k in table.partition_by
            )
            con.execute(
                f"delete from {_ref(table)} where exists "
                f"(select 1 from catalog_new_rows as n where {match})"
            )
        if len(frame):
            types = table.types
            select = ", ".join(
                f'cast("{c}" as {types[c]}) as "{c}"' if c in types else f'"{c}"'
                for c in frame.columns
            )
            con.execute(f"insert into {_ref(table)} by name select {select} from catalog_new_rows")
    finally:
        con.unregister("catalog_new_rows")
    return len(frame)


def _partition_where(table: Table, partition: Mapping[str, Any], relation: str):
    clauses, params = [], []
    for key in table.partition_by:
        value, kind = partition[key], table.types[key]
        if isinstance(value, list | tuple | set | frozenset):
            clauses.append(f'{relation}."{key}" in (select unnest(?::{kind}[]))')
            params.append(sorted(value))
        else:
            clauses.append(f'{relation}."{key}" = ?::{kind}')
            params.append(value)
    return " and ".join(clauses) or "true", params


_OPEN: dict[int, int] = {}  # id(connection) -> depth of transaction() blocks open on it


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit what the block wrote, or roll all of it back if it raises. Nested in another
    ``transaction`` block on the same connection, it joins the outer one (DuckDB has no
    nested transactions, and a failed ``begin`` aborts the open one)."""
    key = id(con)
    if _OPEN.get(key):
        _OPEN[key] += 1
        try:
            yield
        finally:
            _OPEN[key] -= 1
        return
    con.execute("begin transaction")
    _OPEN[key] = 1
    try:
        yield
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        _OPEN.pop(key, None)


def _validate(frame: pd.DataFrame, suite: str) -> None:
    from ml.quality.validation import validate_frame  # GX: imported on the first write only

    validate_frame(frame, suite).raise_for_failures()


def _custom(table: Table, column: str) -> bool:
    return table.schema == "quarantine" and column.startswith("attr_")


def _present_columns(con: duckdb.DuckDBPyConnection, table: Table) -> set[str]:
    return {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? and table_catalog = current_database()",
            [table.schema, table.table],
        ).fetchall()
    }


def _ref(table: Table) -> str:
    return f'"{table.schema}"."{table.table}"'
