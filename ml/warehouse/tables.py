"""Looking at the working warehouse's tables. Writing them is the catalog's job
(:mod:`ml.catalog`), transactions included: :func:`transaction` is the catalog's."""

from __future__ import annotations

import duckdb

from ml.catalog import transaction

__all__ = ["table_exists", "transaction"]


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """Whether ``schema.name`` exists in the connection's database."""
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()[0][0]
    )
