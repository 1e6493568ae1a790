"""Publish a consistent, read-only copy of the warehouse for BI tools.

BI tools and the nightly run must never block each other, and readers must never see
half a night. DuckDB takes a file lock, so a reader holding the file open makes the
writer fail, and the reverse. So the nightly run writes only its working file; at the
end, the tables readers need are copied into a new file beside the published one,
which is then renamed over it. The rename is atomic: a new reader opens either the old
night or the new one, and a reader that already has the old file open keeps reading
it undisturbed (on POSIX the old inode lives until the reader closes it).

Only the schemas BI reads are published. ``raw`` and ``staging`` hold personal data in
clear text and never leave the working file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from ml.access import grant_readers
from ml.settings import load_settings

PUBLISHED_SCHEMAS = ("marts", "ml", "monitoring")


@dataclass(frozen=True)
class PublishedWarehouse:
    """The file published and the row count of every table in it, as ``schema.table``."""

    path: Path
    row_counts: dict[str, int]


def publish_warehouse(work: Path, published: Path, business_date: date) -> PublishedWarehouse:
    """Copy the published schemas of ``work`` into a new file and swap it in atomically.

    Raises:
        FileNotFoundError: ``work`` does not exist yet (nothing was built).
    """
    if not work.exists():
        raise FileNotFoundError(f"No working warehouse at {work}: run ingest and dbt first.")
    published.parent.mkdir(parents=True, exist_ok=True)
    staging_copy = published.with_name(f".{published.name}.{os.getpid()}.tmp")
    staging_copy.unlink(missing_ok=True)
    try:
        row_counts = _copy_schemas(work, staging_copy, business_date)
        _fsync(staging_copy)
        grant_readers(staging_copy, load_settings())  # BI group and mode (ml.access)
        os.replace(staging_copy, published)
        _fsync(published.parent)
    finally:
        staging_copy.unlink(missing_ok=True)
    return PublishedWarehouse(published, row_counts)


def _copy_schemas(work: Path, target: Path, business_date: date) -> dict[str, int]:
    row_counts: dict[str, int] = {}
    with duckdb.connect(str(target)) as con:
        con.execute(f"attach '{work}' as work (read_only)")
        relations = con.execute(
            """
            select table_schema, table_name from information_schema.tables
            where table_catalog = 'work' and table_schema in ?
            order by table_schema, table_name
            """,
            [list(PUBLISHED_SCHEMAS)],
        ).fetchall()
        for schema, name in relations:
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(
                f'create table "{schema}"."{name}" as select * from work."{schema}"."{name}"'
            )
            row_counts[f"{schema}.{name}"] = con.execute(
                f'select count(*) from "{schema}"."{name}"'
            ).fetchone()[0]
        con.execute("detach work")
        # Readers can tell which night they are looking at.
        con.execute("create schema if not exists meta")
        con.execute(
            "create table meta.publication as select ?::date as business_date, "
            "?::timestamp as published_at",
            [business_date, datetime.now(UTC).replace(tzinfo=None)],
        )
        con.execute("checkpoint")
    return row_counts


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
