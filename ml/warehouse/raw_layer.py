"""The raw layer's tables and the ledger of delivery files: ingest's own writes.

``raw.<table>`` holds every accepted row as delivered (text) with its lineage;
``raw._ingested_files`` one row per delivery file with its status and counts, and
``raw._ingested_file_rules`` the rows per rule each file broke. The quarantine tables
beside them are declared in the catalog (:mod:`ml.catalog.quarantine_tables`) and
created by it.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import duckdb

from ml.catalog import add_text_columns
from ml.contract import LANDING_TABLES, LINEAGE_COLUMNS
from ml.warehouse.quarantine import QUARANTINE_SCHEMA, FileCounts, ensure_quarantine_tables
from ml.warehouse.reading import FileRead

log = logging.getLogger(__name__)

_FILE_COLUMNS = """
    path varchar primary key, table_name varchar, delivery_date date, sha256 varchar,
    row_count bigint, status varchar, ingested_at timestamp
"""
# Added by the data-quality gate; `alter ... if not exists` upgrades an older warehouse.
_GATE_FILE_COLUMNS = {
    "business_date": "date",  # the business date of the run that last processed the file
    "rows_delivered": "bigint",
    "rows_quarantined": "bigint",
    "problem": "varchar",  # why a rejected file was refused: unreadable, missing_columns, ...
    "reason": "varchar",  # the same, as a sentence naming the file
    "unexpected_columns": "varchar",
}


def withdraw_removed_rejections(
    con: duckdb.DuckDBPyConnection, landing: Path, known: dict[str, tuple[str, str]]
) -> None:
    """A rejected file since removed from the landing zone is ``withdrawn``: it no longer
    stops the gate, and its record stays, so that its rows are still accounted for."""
    for path, (_, status) in known.items():
        if status == "rejected" and not (landing / path).exists():
            con.execute(
                "update raw._ingested_files set status = 'withdrawn' where path = ?", [path]
            )
            log.info("%s was rejected and is no longer in the landing zone: withdrawn", path)


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or upgrade) ``raw``, its bookkeeping tables and the quarantine tables."""
    con.execute("create schema if not exists raw")
    con.execute(f"create table if not exists raw._ingested_files ({_FILE_COLUMNS})")
    for name, sql_type in _GATE_FILE_COLUMNS.items():
        con.execute(f"alter table raw._ingested_files add column if not exists {name} {sql_type}")
    con.execute(
        "create table if not exists raw._ingested_file_rules "
        "(path varchar, rule varchar, rows bigint)"
    )
    for table in LANDING_TABLES.values():
        columns = [f'"{c}" varchar' for c in table.columns]
        columns += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS.items()]
        con.execute(f"create table if not exists raw.{table.name} ({', '.join(columns)})")
    ensure_quarantine_tables(con)


def add_new_columns(con: duckdb.DuckDBPyConnection, table: str, names: list[str]) -> None:
    """A column first seen in this delivery (a new custom field, say) is added as text."""
    existing = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'raw' and table_name = ?",
            [table],
        ).fetchall()
    }
    for name in dict.fromkeys(names):
        if name not in existing:
            con.execute(f'alter table raw.{table} add column "{name}" varchar')
            add_text_columns(con, f"{QUARANTINE_SCHEMA}.{table}", [name])
            log.info("raw.%s: new column %s", table, name)


def record_file(
    con: duckdb.DuckDBPyConnection,
    path: str,
    table: str,
    delivery_date: date,
    sha: str,
    status: str,
    business_date: date | None,
    result: FileRead,
    counts: FileCounts,
) -> None:
    """Keep one delivery file's status and counts in the ledger, and its rows per rule."""
    con.execute(
        """
        insert or replace into raw._ingested_files (path, table_name, delivery_date, sha256,
            row_count, status, ingested_at, business_date, rows_delivered, rows_quarantined,
            problem, reason, unexpected_columns)
        values (?, ?, ?, ?, ?, ?, now()::timestamp, ?, ?, ?, ?, ?, ?)
        """,
        [
            path,
            table,
            delivery_date,
            sha,
            counts.loaded,
            status,
            business_date,
            result.rows_delivered,
            counts.quarantined,
            result.problem,
            result.reason,
            ", ".join(result.unexpected_columns),
        ],
    )
    con.execute("delete from raw._ingested_file_rules where path = ?", [path])
    if counts.rules:
        con.executemany(
            "insert into raw._ingested_file_rules values (?, ?, ?)",
            [[path, rule, rows] for rule, rows in sorted(counts.rules.items())],
        )
