"""Splitting a batch of delivered rows between ``raw.<table>`` and ``quarantine.<table>``:
ingest's writes, the raw ones here, the quarantine ones through the catalog
(:mod:`ml.catalog.quarantine_tables` declares those tables).

``quarantine.<table>`` has the columns of ``raw.<table>`` (all text, as delivered,
personal data included: it lives in the working warehouse only and is never
published) plus why and when each row was held back:

| column | meaning |
|---|---|
| ``_rules`` | the rules the row broke (``amount_negative``, ``malformed_csv_row``, ...) |
| ``_detail`` | for rows that could not be read: what was wrong, e.g. "expected 7 fields, found 5" |
| ``_raw_line`` | for a malformed CSV line: its text as delivered |
| ``_business_date`` | the business date of the run that quarantined it |
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pyarrow as pa

from ml.catalog import append_select, ensure_table
from ml.catalog.quarantine_tables import SCHEMA
from ml.contract import LANDING_TABLES
from ml.quality.batch_sql import checked_batch_sql, duplicate_groups_sql, duplicate_keys_sql
from ml.quality.specs import RawSuite

QUARANTINE_SCHEMA = SCHEMA


@dataclass
class FileCounts:
    """What became of one file's rows: loaded, quarantined, and rows per rule broken."""

    loaded: int = 0
    quarantined: int = 0
    rules: dict[str, int] = field(default_factory=dict)

    def add_rules(self, counts: dict[str, int]) -> None:
        """Add rows per rule to the file's counts."""
        for rule, rows in counts.items():
            self.rules[rule] = self.rules.get(rule, 0) + rows


def ensure_quarantine_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``quarantine.<table>`` for every landing table, from its declaration."""
    for table in LANDING_TABLES.values():
        ensure_table(con, f"{QUARANTINE_SCHEMA}.{table.name}")


@dataclass
class BatchSplit:
    """Per source file: rows loaded, quarantined and per rule; and the seconds checking took."""

    files: dict[str, FileCounts]
    check_seconds: float


def split_batch(
    con: duckdb.DuckDBPyConnection, suite: RawSuite, incoming: pa.Table, business_date: date
) -> BatchSplit:
    """Check every row of ``incoming`` and insert it into raw or quarantine.

    ``incoming`` holds one table's rows (text columns plus lineage) from the files of
    one batch; both target tables already have all its columns. Runs inside the
    caller's transaction.

    Returns:
        Per source file: rows loaded, rows quarantined and rows per rule broken (warn
        rules included: they are counted, the row still loads); and the time spent
        evaluating the rules, apart from inserting.
    """
    started = time.perf_counter()
    table = suite.contract.name
    present = incoming.column_names
    con.register("incoming_delivery", incoming)
    try:
        keys = con.sql(duplicate_keys_sql(suite, present, "incoming_delivery")).to_arrow_table()
        groups = None
        if keys.num_rows:
            con.register("duplicate_keys", keys)
            found = con.sql(
                duplicate_groups_sql(suite, present, "incoming_delivery", "duplicate_keys")
            ).to_arrow_table()
            con.register("duplicate_groups", found)
            groups = "duplicate_groups"
        sql = checked_batch_sql(suite, present, "incoming_delivery", groups)
        con.execute(f"create or replace temp table checked_delivery as {sql}")
    finally:
        for name in ("incoming_delivery", "duplicate_keys", "duplicate_groups"):
            con.unregister(name)
    check_seconds = time.perf_counter() - started
    con.execute(
        f"insert into raw.{table} by name "
        "select * exclude (_rules, _warns) from checked_delivery where len(_rules) = 0"
    )
    append_select(
        con, f"{QUARANTINE_SCHEMA}.{table}",
        "select * exclude (_warns), ?::date as _business_date "
        "from checked_delivery where len(_rules) > 0",
        [business_date],
    )  # fmt: skip
    counts: dict[str, FileCounts] = {}
    for path, loaded, quarantined in con.execute(
        "select _source_file, count(*) filter (where len(_rules) = 0), "
        "count(*) filter (where len(_rules) > 0) from checked_delivery group by 1"
    ).fetchall():
        counts[path] = FileCounts(loaded, quarantined)
    for path, rule, rows in con.execute(
        "select _source_file, rule, count(*) from ("
        "  select _source_file, unnest(list_concat(_rules, _warns)) as rule"
        "  from checked_delivery) group by all"
    ).fetchall():
        counts[path].rules[rule] = rows
    con.execute("drop table checked_delivery")
    return BatchSplit(counts, check_seconds)


def quarantine_rows(
    con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table, business_date: date
) -> None:
    """Insert rows that could not be read (they already carry ``_rules`` and ``_detail``)."""
    con.register("unreadable_rows", rows)
    try:
        append_select(
            con, f"{QUARANTINE_SCHEMA}.{table}",
            "select *, ?::date as _business_date from unreadable_rows", [business_date],
        )  # fmt: skip
    finally:
        con.unregister("unreadable_rows")
