"""Publish a consistent, read-only copy of the warehouse for BI tools.

BI tools and the nightly run must never block or hurt each other, and readers must
never see half a night. DuckDB takes a file lock, so a reader holding the file open
makes the writer fail, and the reverse. So the nightly run writes only its working
file; once the whole night is complete (ml/warehouse/steps.py), the tables readers
need are copied into a new file beside the published one, which is then renamed over
it. The rename is atomic: a new reader opens either the old night or the new one, and a
reader that already has the old file open keeps reading it undisturbed (on POSIX the
old inode lives until the reader closes it).

A reader that opens the published file read-write (many DuckDB GUIs do by default) must
not be able to leave a write-ahead log behind: DuckDB names the WAL after the path it
was given (``salespipe.duckdb.wal``), so a WAL written by a holder of last night's file
would sit beside tonight's and make every later open fail with "WAL does not match
database file". File permissions cannot stop it (root ignores them). So the WAL's name
is taken, for good, by a symlink into a folder that does not exist
(:func:`block_write_ahead_log`): opening the file (read-only or read-write) sees no WAL
and works, while a write fails at commit with "Cannot open file
…salespipe.duckdb.wal: No such file or directory", for every user, root included.

Only the schemas BI reads are published. ``raw`` and ``staging`` hold personal data in
clear text and never leave the working file; the scoring API's deal history, the raw
rows of deals, accounts, reps and deal activities without a personal column, is written
beside it in a file of its own (:mod:`ml.warehouse.deal_history`).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from ml.access import grant_readers
from ml.faults import kill_point
from ml.settings import load_settings
from ml.warehouse.catalog import describe_published
from ml.warehouse.deal_history import publish_deal_history

log = logging.getLogger(__name__)

PUBLISHED_SCHEMAS = ("marts", "ml", "monitoring")
# Where the WAL symlink points: a folder that never exists, so nothing can be created there.
WAL_BLOCKER_TARGET = ".published-warehouse-is-read-only/no-write-ahead-log"
# The oldest DuckDB that must open the published file: 1.4 LTS (see README, What BI tools open).
READER_STORAGE_VERSION = "v1.4.0"


@dataclass(frozen=True)
class PublishedWarehouse:
    """The file published and the row count of every table in it, as ``schema.table``."""

    path: Path
    row_counts: dict[str, int]


def manifest_path(published: Path) -> Path:
    """The JSON beside the published file that says which night it holds (readable even
    while a BI tool holds the DuckDB file locked)."""
    return published.with_name(f"{published.name}.publication.json")


def read_manifest(published: Path) -> dict | None:
    """The manifest of the published night, or None before the first publication."""
    path = manifest_path(published)
    if not path.exists():
        return None
    return json.loads(path.read_text())


def publish_warehouse(
    work: Path,
    published: Path,
    business_date: date,
    *,
    run_id: str | None = None,
    guard_counts: dict[str, int] | None = None,
    finished_at: datetime | None = None,
) -> PublishedWarehouse:
    """Copy the published schemas of ``work`` into a new file and swap it in atomically.

    ``guard_counts`` (what the publish guard compares the next night with) are kept in
    the manifest. With ``finished_at``, the copy records the night's run as ``success``
    (the working file is marked by the caller once the swap is done, so a publish killed
    before the swap leaves the run ``running`` there).

    Raises:
        FileNotFoundError: ``work`` does not exist yet (nothing was built).
    """
    if not work.exists():
        raise FileNotFoundError(f"No working warehouse at {work}: run ingest and dbt first.")
    published.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_copies(published)
    staging_copy = published.with_name(f".{published.name}.{os.getpid()}.tmp")
    staging_copy.unlink(missing_ok=True)
    try:
        row_counts = copy_published_schemas(work, staging_copy, business_date, run_id)
        if finished_at is not None:
            _mark_run_published(staging_copy, business_date, finished_at)
        _fsync(staging_copy)
        grant_readers(staging_copy, load_settings())  # BI group and mode (ml.access)
        # the scoring API's deal history, beside the BI copy (ml.warehouse.deal_history)
        publish_deal_history(work, published)
        kill_point("publish:copied")
        block_write_ahead_log(published)
        os.replace(staging_copy, published)
        _fsync(published.parent)
        _write_manifest(published, business_date, run_id, row_counts, guard_counts or {})
    finally:
        staging_copy.unlink(missing_ok=True)
        Path(f"{staging_copy}.wal").unlink(missing_ok=True)
    return PublishedWarehouse(published, row_counts)


def copy_published_schemas(
    work: Path, target: Path, business_date: date, run_id: str | None = None
) -> dict[str, int]:
    """Create ``target`` holding the BI schemas of ``work`` and ``meta.publication``;
    returns the row count of every table copied. The one place the copy is made."""
    row_counts: dict[str, int] = {}
    with duckdb.connect() as con:
        # Written in a storage version DuckDB 1.4 LTS opens: the line BI drivers ship.
        con.execute(f"attach '{target}' as out (storage_version '{READER_STORAGE_VERSION}')")
        con.execute("use out")
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
        # Readers can tell which night they are looking at, and that it is whole.
        con.execute("create schema if not exists meta")
        con.execute(
            "create table meta.publication as select ?::date as business_date, "
            "?::timestamp as published_at, 'complete' as status, ?::varchar as run_id",
            [business_date, datetime.now(UTC).replace(tzinfo=None), run_id],
        )
        describe_published(con, "out", "work")
        con.execute("detach work")
        con.execute("checkpoint")
        con.execute("use memory")
        con.execute("detach out")
    return row_counts


def _mark_run_published(target: Path, business_date: date, finished_at: datetime) -> None:
    """The published copy's own night is ``success`` in its ``monitoring.pipeline_runs``."""
    from ml.warehouse import runs

    with duckdb.connect(str(target)) as con:
        runs.finish_run(con, business_date, runs.SUCCESS, finished_at)
        con.execute("checkpoint")


def block_write_ahead_log(published: Path) -> None:
    """Take the published file's WAL name with a symlink to nowhere (see the module doc).

    A real WAL found there was left by a reader that wrote to an earlier file: it can
    only break the next open, so it is replaced.
    """
    wal = published.with_name(f"{published.name}.wal")
    if wal.is_symlink() and os.readlink(wal) == WAL_BLOCKER_TARGET:
        return
    if wal.exists() or wal.is_symlink():
        log.warning("replacing %s, a write-ahead log a BI tool left on the published file", wal)
    blocker = wal.with_name(f".{wal.name}.{os.getpid()}.link")
    blocker.unlink(missing_ok=True)
    os.symlink(WAL_BLOCKER_TARGET, blocker)
    os.replace(blocker, wal)


def remove_stale_copies(published: Path) -> list[Path]:
    """Remove the temporary copies an interrupted publish left (their process is gone)."""
    removed = []
    for path in published.parent.glob(f".{published.name}.*.tmp*"):
        pid = path.name[len(published.name) + 2 :].split(".")[0]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
        log.info("removed %s, left by an interrupted publish", path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_manifest(
    published: Path,
    business_date: date,
    run_id: str | None,
    row_counts: dict[str, int],
    guard_counts: dict[str, int],
) -> None:
    manifest = manifest_path(published)
    temporary = manifest.with_name(f".{manifest.name}.{os.getpid()}.tmp")
    temporary.write_text(
        json.dumps(
            {
                "business_date": business_date.isoformat(),
                "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "status": "complete",
                "run_id": run_id,
                "row_counts": row_counts,
                "guard_counts": guard_counts,
            },
            indent=2,
        )
    )
    os.replace(temporary, manifest)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
