"""Bulk-load a landing zone into the warehouse's raw layer (schema ``raw``).

Each file is read into Arrow with every column as text and appended to
``raw.<table>`` in one bulk insert; types are cast later in dbt staging, where a bad
value becomes null instead of failing the night. ``raw._ingested_files`` records every
file with its row count and checksum, which is what makes re-ingesting a no-op.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ml.contract import LANDING_TABLES, LINEAGE_COLUMNS
from ml.warehouse.landing import DeliveryFile, file_sha256, scan_landing_zone

log = logging.getLogger(__name__)

# Files are committed in batches of about this many bytes: one transaction per batch
# keeps commits few on thousands of small daily files without holding 10M rows at once.
BATCH_BYTES = 256 << 20


class IngestError(Exception):
    """A delivery could not be read; the message names the file."""


@dataclass
class IngestSummary:
    """What one ingest did, per file status, and the rows it loaded per table."""

    loaded: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    rows_loaded: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows_loaded.values())


def ingest_landing_zone(
    con: duckdb.DuckDBPyConnection,
    landing,
    *,
    up_to: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> IngestSummary:
    """Load every new or changed delivery file under ``landing`` into ``raw``.

    - A file already loaded with the same checksum is skipped (re-ingest changes nothing).
    - A file whose bytes changed since it was loaded replaces its earlier rows.
    - The same bytes under another path of the same table (a repeated delivery) are
      recorded as ``duplicate`` and not loaded twice.

    Args:
        con: a read-write connection to the working warehouse.
        landing: the landing folder (``pathlib.Path``).
        up_to: ignore deliveries dated after this business date.
        progress: called with one line per committed batch.

    Raises:
        IngestError: a file cannot be parsed; files committed before it stay loaded.
        FileNotFoundError, ValueError: from :func:`scan_landing_zone`.
    """
    scan = scan_landing_zone(landing, up_to=up_to)
    summary = IngestSummary(skipped=list(scan.skipped))
    _ensure_raw_schema(con)
    known = dict(con.execute("select path, sha256 from raw._ingested_files").fetchall())
    # Content already loaded, to tell a repeated delivery from a new one. Files with no
    # rows don't count: every empty delivery of a table has the same bytes.
    seen_content = set(
        con.execute(
            "select table_name, sha256 from raw._ingested_files "
            "where status <> 'duplicate' and row_count > 0"
        ).fetchall()
    )
    pending: list[tuple[DeliveryFile, str, str]] = []  # (file, sha256, loaded | replaced)
    for delivery in scan.files:
        sha = file_sha256(delivery.path)
        previous = known.get(delivery.relative_path)
        if previous == sha:
            summary.unchanged += 1
        else:
            pending.append((delivery, sha, "loaded" if previous is None else "replaced"))
    for batch in _batches(pending):
        _load_batch(con, batch, summary, seen_content)
        if progress:
            done = len(summary.loaded) + len(summary.replaced) + len(summary.duplicates)
            progress(f"ingest: {done:,}/{len(pending):,} files, {summary.total_rows:,} rows")
    return summary


def _ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute(
        """
        create table if not exists raw._ingested_files (
            path varchar primary key, table_name varchar, delivery_date date, sha256 varchar,
            row_count bigint, status varchar, ingested_at timestamp
        )
        """
    )
    for table in LANDING_TABLES.values():
        columns = [f'"{c}" varchar' for c in table.columns]
        columns += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS.items()]
        con.execute(f"create table if not exists raw.{table.name} ({', '.join(columns)})")


def _batches(
    pending: list[tuple[DeliveryFile, str, str]],
) -> Iterator[list[tuple[DeliveryFile, str, str]]]:
    batch: list[tuple[DeliveryFile, str, str]] = []
    size = 0
    for item in pending:
        batch.append(item)
        size += item[0].path.stat().st_size
        if size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[tuple[DeliveryFile, str, str]],
    summary: IngestSummary,
    seen_content: set[tuple[str, str]],
) -> None:
    """Read the batch's files and commit them in one transaction: all of them or none."""
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    read = []
    for delivery, sha, status in batch:
        rows = _read_delivery(delivery, loaded_at)
        if status == "loaded" and rows.num_rows and (delivery.table, sha) in seen_content:
            status = "duplicate"  # the same bytes as a delivery already loaded
        elif rows.num_rows:
            seen_content.add((delivery.table, sha))
        read.append((delivery, sha, status, rows))
    con.execute("begin transaction")
    try:
        for delivery, _, status, _ in read:
            if status == "replaced":
                con.execute(
                    f"delete from raw.{delivery.table} where _source_file = ?",
                    [delivery.relative_path],
                )
        to_insert = [
            (delivery, rows) for delivery, _, status, rows in read if status != "duplicate"
        ]
        for table in dict.fromkeys(delivery.table for delivery, _ in to_insert):
            parts = [rows for delivery, rows in to_insert if delivery.table == table]
            incoming = pa.concat_tables(parts, promote_options="default")
            _add_new_columns(con, table, incoming.column_names)
            con.register("incoming_delivery", incoming)
            con.execute(f"insert into raw.{table} by name select * from incoming_delivery")
            con.unregister("incoming_delivery")
            summary.rows_loaded[table] = summary.rows_loaded.get(table, 0) + incoming.num_rows
        for delivery, sha, status, rows in read:
            loaded_rows = 0 if status == "duplicate" else rows.num_rows
            _record_file(con, delivery, sha, rows=loaded_rows, status=status)
            {
                "loaded": summary.loaded,
                "replaced": summary.replaced,
                "duplicate": summary.duplicates,
            }[status].append(delivery.relative_path)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _read_delivery(delivery: DeliveryFile, loaded_at: datetime) -> pa.Table:
    """One file as an Arrow table of text columns plus the lineage columns."""
    try:
        table = _read_parquet(delivery) if delivery.is_parquet else _read_csv(delivery)
    except (pa.ArrowInvalid, UnicodeDecodeError, csv.Error) as exc:
        raise IngestError(f"Cannot read delivery {delivery.relative_path}: {exc}") from exc
    rows = table.num_rows
    return (
        table.append_column(
            "_delivery_date", pa.array([delivery.delivery_date] * rows, pa.date32())
        )
        .append_column("_source_file", pa.array([delivery.relative_path] * rows, pa.string()))
        .append_column("_source_row", pa.array(range(1, rows + 1), pa.int64()))
        .append_column("_loaded_at", pa.array([loaded_at] * rows, pa.timestamp("us")))
    )


def _read_csv(delivery: DeliveryFile) -> pa.Table:
    header = _csv_header(delivery)
    if not header:
        return pa.table({})  # a zero-byte file: an empty delivery
    return pa_csv.read_csv(
        delivery.path,
        read_options=pa_csv.ReadOptions(column_names=header, skip_rows=1),
        convert_options=pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )


def _csv_header(delivery: DeliveryFile) -> list[str]:
    with delivery.path.open(newline="", encoding="utf-8") as handle:
        first = next(csv.reader(handle), [])
    return _checked_names(delivery, first)


def _checked_names(delivery: DeliveryFile, raw_names: list[str]) -> list[str]:
    """Column names lower-cased and stripped; refused when empty, repeated or unquotable."""
    names = [name.strip().lower() for name in raw_names]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise IngestError(
            f"Delivery {delivery.relative_path} repeats column(s) {', '.join(duplicated)}."
        )
    if any(not n or '"' in n for n in names):
        raise IngestError(
            f"Delivery {delivery.relative_path} has a column with no name or with a double "
            f"quote in its name: {raw_names!r}."
        )
    return names


def _read_parquet(delivery: DeliveryFile) -> pa.Table:
    table = pq.read_table(delivery.path)
    names = _checked_names(delivery, table.column_names)
    return pa.table(
        {name: column.cast(pa.string()) for name, column in zip(names, table.columns, strict=True)}
    )


def _add_new_columns(con: duckdb.DuckDBPyConnection, table: str, names: list[str]) -> None:
    """A column first seen in this delivery (a new custom field, say) is added as text."""
    existing = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'raw' and table_name = ?",
            [table],
        ).fetchall()
    }
    for name in names:
        if name not in existing:
            con.execute(f'alter table raw.{table} add column "{name}" varchar')
            log.info("raw.%s: new column %s", table, name)


def _record_file(
    con: duckdb.DuckDBPyConnection, delivery: DeliveryFile, sha: str, *, rows: int, status: str
) -> None:
    con.execute(
        """
        insert or replace into raw._ingested_files
        values (?, ?, ?, ?, ?, ?, now()::timestamp)
        """,
        [delivery.relative_path, delivery.table, delivery.delivery_date, sha, rows, status],
    )
