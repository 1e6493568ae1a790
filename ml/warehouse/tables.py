"""Writing a night's rows: every output table is replaced per partition, in a transaction,
so re-running a date gives the same table and a failure leaves the old rows in place."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import duckdb
import pandas as pd


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit what the block wrote, or roll all of it back if it raises."""
    con.execute("begin transaction")
    try:
        yield
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def replace_rows(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, where: str, params: Sequence
) -> int:
    """Delete ``table``'s rows matching ``where`` and insert ``frame`` by column name.

    Meant to run inside :func:`transaction`; returns the rows inserted.
    """
    con.execute(f"delete from {table} where {where}", list(params))
    if len(frame):
        con.register("replacement_rows", frame)
        try:
            con.execute(f"insert into {table} by name select * from replacement_rows")
        finally:
            con.unregister("replacement_rows")
    return len(frame)


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )
