"""The raw layer's tables and the ledger of delivery files: ingest's own writes.

``raw.<table>`` holds every accepted row as delivered (text) with its lineage;
``raw._ingested_files`` one row per delivery file with its status and counts, and
``raw._ingested_file_rules`` the rows per rule each file broke. The quarantine tables
beside them are declared in the catalog (:mod:`ml.catalog.quarantine_tables`) and
created by it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

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


@dataclass(frozen=True)
class FileRecord:
    """One delivery file's line in the ledger: what became of it, and its rows per rule."""

    path: str
    table: str
    delivery_date: date
    sha: str
    status: str
    business_date: date | None
    result: FileRead
    counts: FileCounts


def record_files(con: duckdb.DuckDBPyConnection, records: list[FileRecord]) -> None:
    """Keep each file's status and counts in the ledger, and its rows per rule.

    A few statements for a whole batch: a statement per file cost about 11 ms, which made
    the ledger a minute of a first night's ingest of 5,000 daily files.
    """
    if not records:
        return
    files = pa.table(
        {
            "path": pa.array([r.path for r in records], pa.string()),
            "table_name": pa.array([r.table for r in records], pa.string()),
            "delivery_date": pa.array([r.delivery_date for r in records], pa.date32()),
            "sha256": pa.array([r.sha for r in records], pa.string()),
            "row_count": pa.array([r.counts.loaded for r in records], pa.int64()),
            "status": pa.array([r.status for r in records], pa.string()),
            "business_date": pa.array([r.business_date for r in records], pa.date32()),
            "rows_delivered": pa.array([r.result.rows_delivered for r in records], pa.int64()),
            "rows_quarantined": pa.array([r.counts.quarantined for r in records], pa.int64()),
            "problem": pa.array([r.result.problem for r in records], pa.string()),
            "reason": pa.array([r.result.reason for r in records], pa.string()),
            "unexpected_columns": pa.array(
                [", ".join(r.result.unexpected_columns) for r in records], pa.string()
            ),
        }
    )
    rules = [
        (record.path, rule, rows)
        for record in records
        for rule, rows in sorted(record.counts.rules.items())
    ]
    file_rules = pa.table(
        {
            "path": pa.array([path for path, _, _ in rules], pa.string()),
            "rule": pa.array([rule for _, rule, _ in rules], pa.string()),
            "rows": pa.array([rows for _, _, rows in rules], pa.int64()),
        }
    )
    con.register("_ledger_files", files)
    con.register("_ledger_file_rules", file_rules)
    try:
        con.execute(
            """
            insert or replace into raw._ingested_files (path, table_name, delivery_date,
                sha256, row_count, status, ingested_at, business_date, rows_delivered,
                rows_quarantined, problem, reason, unexpected_columns)
            select path, table_name, delivery_date, sha256, row_count, status,
                now()::timestamp, business_date, rows_delivered, rows_quarantined, problem,
                reason, unexpected_columns
            from _ledger_files
            """
        )
        con.execute(
            "delete from raw._ingested_file_rules where path in (select path from _ledger_files)"
        )
        con.execute(
            "insert into raw._ingested_file_rules (path, rule, rows) "
            "select path, rule, rows from _ledger_file_rules"
        )
    finally:
        con.unregister("_ledger_files")
        con.unregister("_ledger_file_rules")
