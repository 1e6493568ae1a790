"""The suppression list: people who were erased, as keyed hashes, so a re-delivery from
the CRM does not bring them back.

``privacy.suppressed_subjects`` (working warehouse only, never published) holds the keyed
hash of every erased lead id and email. At ingest, a delivered row of such a person is
held back: a lead or activity goes to ``quarantine.<table>`` with the rule ``erased``
and no values at all (only the file, row and delivery date, so the reconciliation still
adds up); an opportunity loads with its ``lead_id`` cut, as erasure left it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import duckdb
import pyarrow as pa

from ml.catalog import append_select
from ml.contract import LINEAGE_COLUMNS
from ml.privacy.identifiers import hash_sql

SCHEMA = "privacy"
TABLE = f"{SCHEMA}.suppressed_subjects"
ERASED_RULE = "erased"
KEY_VARIABLE = "salespipe_pii_key"
# delivered table -> what happens to a suppressed person's row
HELD_BACK = {"leads": "quarantine", "activities": "quarantine", "opportunities": "unlink"}


def ensure_suppression_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(
        f"create table if not exists {TABLE} (subject_hash varchar, kind varchar, "
        "erasure_id varchar, erased_at timestamp)"
    )


def use_pii_key(con: duckdb.DuckDBPyConnection, key: str) -> None:
    """Give this connection the personal-data key, as dbt's profile does (a session
    variable: never in SQL text or logs), so ingest can match the suppression list."""
    con.execute(f"set variable {KEY_VARIABLE} = ?", [key])


def suppress(
    con: duckdb.DuckDBPyConnection,
    subjects: Iterable[tuple[str, str]],
    erasure_id: str,
    erased_at: datetime,
) -> int:
    """Add ``(kind, keyed hash)`` pairs not already listed; returns how many were added."""
    ensure_suppression_table(con)
    rows = [[h, kind, erasure_id, erased_at] for kind, h in sorted(set(subjects))]
    before = con.execute(f"select count(*) from {TABLE}").fetchall()[0][0]
    if rows:
        con.executemany(
            f"insert into {TABLE} select ?, ?, ?, ? where not exists "
            f"(select 1 from {TABLE} where subject_hash = ? and kind = ?)",
            [[*r, r[0], r[1]] for r in rows],
        )
    return con.execute(f"select count(*) from {TABLE}").fetchall()[0][0] - before


def hold_back(
    con: duckdb.DuckDBPyConnection, table: str, incoming: pa.Table, business_date: date | None
) -> tuple[pa.Table, dict[str, int]]:
    """Take the rows of suppressed people out of ``incoming`` (one table's delivered rows).

    Quarantined rows keep no value (rule ``erased``); opportunities lose their
    ``lead_id``. Runs inside the ingest's transaction.

    Returns:
        The rows to check and load, and per source file the rows quarantined as erased.

    Raises:
        ValueError: people are suppressed but the connection has no personal-data key.
    """
    action = HELD_BACK.get(table)
    if action is None or not _has_subjects(con):
        return incoming, {}
    key = con.execute(f"select getvariable('{KEY_VARIABLE}')").fetchall()[0][0]
    if not key:
        raise ValueError(
            "Erased people are on the suppression list but this ingest has no personal-data "
            "key to match them: use salespipe ingest or the nightly DAG, which set it."
        )
    present = set(incoming.column_names)
    tests = []
    params: list = []
    for column, kind in (("lead_id", "lead_id"), ("email", "email")):
        if column in present and (column == "lead_id" or table == "leads"):
            tests.append(f"{hash_sql(column)} in (select subject_hash from {TABLE} where kind = ?)")
            params += [key, kind]
    if not tests:
        return incoming, {}
    con.register("suppression_incoming", incoming)
    try:
        con.execute(
            "create or replace temp table suppression_flagged as select *, "
            f"coalesce({' or '.join(tests)}, false) as _erased from suppression_incoming",
            params,
        )
    finally:
        con.unregister("suppression_incoming")
    erased = dict(
        con.execute(
            "select _source_file, count(*) from suppression_flagged where _erased group by 1"
        ).fetchall()
    )
    if action == "unlink":
        kept = con.sql(
            "select * exclude (_erased) replace "
            "(case when _erased then null else lead_id end as lead_id) from suppression_flagged"
        ).to_arrow_table()
        con.execute("drop table suppression_flagged")
        return kept, {}
    lineage = ", ".join(LINEAGE_COLUMNS)
    append_select(
        con, f"quarantine.{table}",
        f"select {lineage}, ['{ERASED_RULE}'] as _rules, "
        "'an erased person: no values kept' as _detail, "
        "?::date as _business_date from suppression_flagged where _erased",
        [business_date],
    )  # fmt: skip
    kept = con.sql(
        "select * exclude (_erased) from suppression_flagged where not _erased"
    ).to_arrow_table()
    con.execute("drop table suppression_flagged")
    return kept, erased


def _has_subjects(con: duckdb.DuckDBPyConnection) -> bool:
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = ? and table_name = 'suppressed_subjects'",
        [SCHEMA],
    ).fetchall()[0][0]
    return bool(exists) and con.execute(f"select count(*) from {TABLE}").fetchall()[0][0] > 0
