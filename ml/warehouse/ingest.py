"""Bulk-load a landing zone into the warehouse's raw layer (schema ``raw``), through the gate.

Each file is read into Arrow with every column as text (:mod:`ml.warehouse.reading`);
the rows of a table's files in one batch are checked together against the table's
rules in DuckDB and split (:mod:`ml.warehouse.quarantine`): valid rows are appended to
``raw.<table>``, the others to ``quarantine.<table>`` with the rules they broke. A
file that cannot be taken at all (table-level: unreadable, a required column missing,
the key empty in every row) is ``rejected``: nothing of it is loaded, and the nightly
gate (:mod:`ml.warehouse.gate`) stops the run until it is fixed or removed.

``raw._ingested_files`` records every file with its checksum, status and row counts,
which is what makes re-ingesting a no-op and lets every run reconcile: rows delivered =
loaded + quarantined + in rejected files + in repeated deliveries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from ml.catalog import erase_rows, transaction
from ml.privacy.suppression import ERASED_RULE, hold_back
from ml.quality.specs import RawSuite, load_raw_suites
from ml.quality.text import fingerprint
from ml.warehouse.landing import DeliveryFile, scan_landing_zone
from ml.warehouse.quarantine import (
    QUARANTINE_SCHEMA,
    FileCounts,
    quarantine_rows,
    split_batch,
)
from ml.warehouse.raw_layer import (
    FileRecord,
    add_new_columns,
    ensure_raw_schema,
    record_files,
    withdraw_removed_rejections,
)
from ml.warehouse.reading import FileRead, read_delivery

log = logging.getLogger(__name__)

# Files are committed in batches of about this many bytes: one transaction per batch
# keeps commits few on thousands of small daily files without holding 10M rows at once.
# A batch never splits one table's delivery folder, so duplicates within a delivery
# are always seen together.
BATCH_BYTES = 256 << 20

# A refused file is read again on every ingest, until it is fixed (and loads) or removed.
_READ_AGAIN = ("rejected", "withdrawn")


class IngestError(Exception):
    """A delivery could not be loaded; the message names the file."""


@dataclass
class TableCounts:
    """Rows of one table's files: delivered = loaded + quarantined + rejected + repeated."""

    delivered: int = 0
    loaded: int = 0
    quarantined: int = 0
    rejected: int = 0
    repeated: int = 0


@dataclass
class IngestSummary:
    """What one ingest did, per file status, and the rows per table."""

    loaded: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    tables: dict[str, TableCounts] = field(default_factory=dict)
    business_date: date | None = None
    check_seconds: float = 0.0  # spent evaluating the row rules (not reading, not inserting)

    @property
    def rows_loaded(self) -> dict[str, int]:
        """Rows loaded into raw, per table that had a file in this ingest."""
        return {table: counts.loaded for table, counts in self.tables.items()}

    @property
    def rows_quarantined(self) -> dict[str, int]:
        """Rows sent to quarantine, per table."""
        return {table: counts.quarantined for table, counts in self.tables.items()}

    @property
    def total_rows(self) -> int:
        """Rows loaded into raw, all tables."""
        return sum(self.rows_loaded.values())


def ingest_landing_zone(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    *,
    up_to: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> IngestSummary:
    """Load every new or changed delivery file under ``landing`` into ``raw``.

    - A file already loaded with the same checksum is skipped (re-ingest changes nothing);
      a rejected file is read again every time, until it is fixed or removed (then it
      is recorded ``withdrawn``).
    - A file whose bytes changed since it was loaded replaces its earlier rows.
    - The same bytes under another path of the same table (a repeated delivery) are
      recorded as ``duplicate`` and not loaded twice.
    - Rows that break a row rule go to ``quarantine.<table>``; a file that fails a
      table-level check is recorded as ``rejected`` and not loaded at all.

    Args:
        con: a read-write connection to the working warehouse.
        landing: the landing folder.
        up_to: ignore deliveries dated after this business date. The files processed
            are tagged with it (or, without it, with the latest delivery date seen).
        progress: called with one line per committed batch.

    Raises:
        FileNotFoundError, ValueError: from :func:`scan_landing_zone`.
    """
    scan = scan_landing_zone(landing, up_to=up_to)
    business_date = up_to or max((f.delivery_date for f in scan.files), default=None)
    summary = IngestSummary(skipped=list(scan.skipped), business_date=business_date)
    ensure_raw_schema(con)
    suites = load_raw_suites()
    known = {
        path: (sha, status)
        for path, sha, status in con.execute(
            "select path, sha256, status from raw._ingested_files"
        ).fetchall()
    }
    withdraw_removed_rejections(con, landing, known)
    # Content already loaded, to tell a repeated delivery from a new one. Files with no
    # rows don't count: every empty delivery of a table has the same bytes.
    seen_content = set(
        con.execute(
            "select table_name, sha256 from raw._ingested_files where status in "
            "('loaded', 'replaced') and coalesce(rows_delivered, row_count) > 0"
        ).fetchall()
    )
    pending: list[_Pending] = []
    for delivery in scan.files:
        sha, quotes = fingerprint(delivery.path)
        previous = known.get(delivery.relative_path)
        if previous is not None and previous[0] == sha and previous[1] not in _READ_AGAIN:
            summary.unchanged += 1
        else:
            pending.append(_Pending(delivery, sha, quotes, previous is not None))
    for batch in _batches(pending):
        _load_batch(con, batch, summary, seen_content, suites)
        if progress:
            done = len(summary.loaded) + len(summary.replaced) + len(summary.duplicates)
            done += len(summary.rejected)
            progress(f"ingest: {done:,}/{len(pending):,} files, {summary.total_rows:,} rows")
    return summary


@dataclass(frozen=True)
class _Pending:
    delivery: DeliveryFile
    sha: str
    quotes: int
    seen_before: bool  # the path is in raw._ingested_files (changed, or rejected before)


def _batches(pending: list[_Pending]) -> Iterator[list[_Pending]]:
    batch: list[_Pending] = []
    size = 0
    for item in pending:
        if size >= BATCH_BYTES and _group(item) != _group(batch[-1]):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item.delivery.path.stat().st_size
    if batch:
        yield batch


def _group(item: _Pending) -> tuple[str, date]:
    return item.delivery.table, item.delivery.delivery_date


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[_Pending],
    summary: IngestSummary,
    seen_content: set[tuple[str, str]],
    suites: dict[str, RawSuite],
) -> None:
    """Read the batch's files, then check and commit them in one transaction: all or none."""
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    read: list[tuple[_Pending, str, FileRead]] = []
    for item in batch:
        result = read_delivery(item.delivery, loaded_at, item.quotes)
        content = (item.delivery.table, item.sha)
        if result.problem:
            status = "rejected"
        elif not item.seen_before and result.rows_delivered and content in seen_content:
            status = "duplicate"  # the same bytes as a delivery already loaded
        else:
            status = "replaced" if item.seen_before else "loaded"
            if result.rows_delivered:
                seen_content.add(content)
        read.append((item, status, result))
    with transaction(con):
        for item, _, _ in read:
            if item.seen_before:  # its earlier version's rows go, whatever becomes of this one
                con.execute(
                    f"delete from raw.{item.delivery.table} where _source_file = ?",
                    [item.delivery.relative_path],
                )
                erase_rows(
                    con, f"{QUARANTINE_SCHEMA}.{item.delivery.table}", "_source_file = ?",
                    [item.delivery.relative_path],
                )  # fmt: skip
        counts = _check_and_insert(con, read, summary, suites)
        records = [
            _record_file(item, status, result, counts.get(item.delivery.relative_path), summary)
            for item, status, result in read
        ]
        record_files(con, records)


def _check_and_insert(
    con: duckdb.DuckDBPyConnection,
    read: list[tuple[_Pending, str, FileRead]],
    summary: IngestSummary,
    suites: dict[str, RawSuite],
) -> dict[str, FileCounts]:
    """Split each table's accepted rows between raw and quarantine; counts per file."""
    counts: dict[str, FileCounts] = {}
    accepted = [
        (item.delivery, result) for item, status, result in read if status in ("loaded", "replaced")
    ]
    for table in dict.fromkeys(delivery.table for delivery, _ in accepted):
        files = [(delivery, result) for delivery, result in accepted if delivery.table == table]
        add_new_columns(con, table, [c for _, result in files for c in result.columns])
        parts = [result.rows for _, result in files if result.rows.num_rows]
        if parts:
            incoming = pa.concat_tables(parts, promote_options="default")
            # erased people (ml.privacy) are held back before any rule sees their rows
            incoming, erased = hold_back(con, table, incoming, summary.business_date)
            if incoming.num_rows:
                split = split_batch(con, suites[table], incoming, summary.business_date)
                counts.update(split.files)
                summary.check_seconds += split.check_seconds
            for path, rows in erased.items():
                file_counts = counts.setdefault(path, FileCounts())
                file_counts.quarantined += rows
                file_counts.add_rules({ERASED_RULE: rows})
        for delivery, result in files:
            if result.bad_rows is not None:
                quarantine_rows(con, table, result.bad_rows, summary.business_date)
                file_counts = counts.setdefault(delivery.relative_path, FileCounts())
                file_counts.quarantined += result.bad_rows.num_rows
                rules = [r[0] for r in result.bad_rows["_rules"].to_pylist()]
                file_counts.add_rules({rule: rules.count(rule) for rule in set(rules)})
    return counts


def _record_file(
    item: _Pending, status: str, result: FileRead, counts: FileCounts | None, summary: IngestSummary
) -> FileRecord:
    """The file's ledger record, with its counts added to the night's summary."""
    delivery, path = item.delivery, item.delivery.relative_path
    counts = counts or FileCounts()
    table = summary.tables.setdefault(delivery.table, TableCounts())
    table.delivered += result.rows_delivered
    if status == "rejected":
        table.rejected += result.rows_delivered
        summary.rejected.append((path, result.reason or "rejected"))
        log.warning("rejected %s", result.reason)
    elif status == "duplicate":
        table.repeated += result.rows_delivered
        summary.duplicates.append(path)
    else:
        table.loaded += counts.loaded
        table.quarantined += counts.quarantined
        (summary.replaced if status == "replaced" else summary.loaded).append(path)
    if result.unexpected_columns:
        log.warning(
            "%s brings column(s) the contract does not name, kept as text: %s",
            path,
            ", ".join(result.unexpected_columns),
        )
    return FileRecord(
        path, delivery.table, delivery.delivery_date, item.sha, status,
        summary.business_date, result, counts,
    )  # fmt: skip
