"""The publish guard: a night far short of the last published one is not published.

A wrong ``--date`` (before the data starts), a half-delivered export or a broken
mapping all build a warehouse that is valid but nearly empty; publishing it would empty
what BI tools read. So before a night goes further, the row count of every mart (of a
mart partitioned by date, the business date's partition), and of every raw table's
deliveries up to the business date, is compared with the counts the
last published night recorded in its manifest. A count below ``MIN_RATIO`` of the last
one stops the night; ``--force-publish`` (``SALESPIPE_FORCE_PUBLISH=1``) lets it through
when the drop is real (a backfill of an early date, a CRM that did shrink).
"""

from __future__ import annotations

from datetime import date

import duckdb

from ml.contract import LANDING_TABLES

MIN_RATIO = 0.5
# Below this many rows last night a table is too small for a ratio to mean anything.
MIN_ROWS = 20
# Marts with one partition per date: what tells a short night is the night's own
# partition, not the whole table, whose size depends on which other nights ran (a rerun
# of an earlier date drops the later partitions it would not have had).
DATE_PARTITION_COLUMNS = ("as_of_date", "snapshot_date")


class PublishGuardError(RuntimeError):
    """The night falls far short of the last published one; the message says how to force."""


def guard_counts(con: duckdb.DuckDBPyConnection, business_date: date) -> dict[str, int]:
    """Rows per mart, and rows delivered up to ``business_date`` per raw table."""
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('marts', 'raw') order by 1, 2"
    ).fetchall()
    partitioned = dict(
        con.execute(
            "select table_name, any_value(column_name) from information_schema.columns "
            "where table_schema = 'marts' and column_name in ? group by table_name",
            [list(DATE_PARTITION_COLUMNS)],
        ).fetchall()
    )
    counts: dict[str, int] = {}
    for schema, name in tables:
        if schema == "marts" and name in partitioned:
            counts[f"marts.{name} (as of the business date)"] = con.execute(
                f'select count(*) from marts."{name}" where "{partitioned[name]}" = ?',
                [business_date],
            ).fetchone()[0]
        elif schema == "marts":
            counts[f"marts.{name}"] = con.execute(
                f'select count(*) from marts."{name}"'
            ).fetchone()[0]
        elif name in LANDING_TABLES:
            counts[f"raw.{name} (delivered to date)"] = con.execute(
                f'select count(*) from raw."{name}" where _delivery_date <= ?', [business_date]
            ).fetchone()[0]
    return counts


def check_against_last_night(
    tonight: dict[str, int],
    business_date: date,
    last: dict | None,
    *,
    force: bool,
) -> list[str]:
    """The tables far short of the last published night (empty: all is well).

    ``last`` is the last publication's manifest (None before the first).

    Raises:
        PublishGuardError: a table fell below ``MIN_RATIO`` of its last count and
            ``force`` is off. The message names every such table with both counts.
    """
    if not last:
        return []
    before = last.get("guard_counts") or {}
    # A table counted another way tonight (a whole mart then, its date's partition now,
    # after an upgrade) is not comparable with itself; a table gone altogether still is.
    tonight_tables = {table.split(" (")[0] for table in tonight}
    comparable = {
        table: count
        for table, count in before.items()
        if table in tonight or table.split(" (")[0] not in tonight_tables
    }
    short = [
        f"{table} has {tonight.get(table, 0):,} rows for {business_date}, against "
        f"{count:,} in the last published night ({last['business_date']})"
        for table, count in comparable.items()
        if count >= MIN_ROWS and tonight.get(table, 0) < MIN_RATIO * count
    ]
    if short and not force:
        raise PublishGuardError(
            f"Publish guard: the night of {business_date} falls far short of the last "
            f"published night, so it is not published (BI tools keep {last['business_date']}): "
            + "; ".join(short)
            + f". If this is expected (a backfill of an early date, a CRM that really shrank), "
            f"publish anyway with `salespipe run --date {business_date} --force-publish` "
            "(or SALESPIPE_FORCE_PUBLISH=1 for the DAGs)."
        )
    return short
