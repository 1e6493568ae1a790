"""Reading one delivered file defensively: rows to check, rows that cannot be read, or a refusal.

Nothing here raises on bad data. A file comes back as a :class:`FileRead`:

- ``rows``: every readable row, all columns text, with the lineage columns;
- ``bad_rows``: rows that cannot be read, for quarantine with their reason: a CSV line
  with the wrong number of fields (``malformed_csv_row``, its raw text kept) or a row
  holding bytes that are not UTF-8 (``invalid_utf8``, decoded with U+FFFD);
- ``problem``/``reason``: the file as a whole is refused (table-level), for a header
  that cannot be read, an unbalanced quote, a Parquet file that is not one or holds
  nested columns, missing required columns, or a key that is empty in every row.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ml.contract import LANDING_TABLES
from ml.quality.rules import MALFORMED_ROW
from ml.quality.text import count_lines, decode_utf8, first_line, unclosed_quote_line
from ml.warehouse.landing import DeliveryFile

UNREADABLE = "unreadable"
MISSING_COLUMNS = "missing_columns"
KEY_NULL_EVERYWHERE = "key_null_everywhere"
# One row with an empty key is a bad row; a file where two or more rows all lack the
# key is a broken export (a renamed or unmapped key column), refused as a whole.
KEY_NULL_EVERYWHERE_MIN_ROWS = 2
DEFAULT_BLOCK_BYTES = 1 << 20  # Arrow's own default
MAX_BLOCK_BYTES = (1 << 31) - 1  # Arrow's limit for one block
# A header that holds one of these but no comma was written with another delimiter.
OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "pipes"}
QUARANTINE_COLUMNS = {
    "_rules": pa.list_(pa.string()),
    "_detail": pa.string(),
    "_raw_line": pa.string(),
}


@dataclass(frozen=True)
class FileRead:
    """One file as read; see the module docstring. ``columns`` are its (lower-cased) names."""

    rows: pa.Table
    bad_rows: pa.Table | None
    rows_delivered: int
    columns: tuple[str, ...]
    unexpected_columns: tuple[str, ...] = ()
    problem: str | None = None
    reason: str | None = None


def read_delivery(delivery: DeliveryFile, loaded_at: datetime, quotes: int = 0) -> FileRead:
    """Read ``delivery``; ``quotes`` is its double-quote count from :func:`fingerprint`."""
    try:
        if delivery.is_parquet:
            names, table, bad = _read_parquet(delivery)
        else:
            names, table, bad = _read_csv(delivery, quotes)
    except _Refused as refused:
        rows = refused.rows if refused.rows is not None else count_lines(delivery.path)
        return _refused(UNREADABLE, f"{delivery.relative_path}: {refused}", rows)
    contract = LANDING_TABLES[delivery.table]
    delivered = table.num_rows + (bad.num_rows if bad is not None else 0)
    missing = [c for c in contract.required if c not in names] if names else []
    if missing:
        return _refused(
            MISSING_COLUMNS,
            f"{delivery.relative_path} lacks required column(s) {', '.join(missing)}"
            + _delimiter_hint(names),
            delivered,
        )
    if table.num_rows >= KEY_NULL_EVERYWHERE_MIN_ROWS and _key_null_everywhere(table, contract.key):
        return _refused(
            KEY_NULL_EVERYWHERE,
            f"{delivery.relative_path}: the key ({', '.join(contract.key)}) is "
            f"empty in all {table.num_rows:,} rows",
            delivered,
        )
    custom = contract.allows_custom_fields
    unexpected = tuple(
        n for n in names if n not in contract.columns and not (custom and n.startswith("attr_"))
    )
    return FileRead(
        _with_lineage(table, delivery, loaded_at),
        None if bad is None else _with_lineage(bad, delivery, loaded_at),
        delivered,
        tuple(names),
        unexpected,
    )


class _Refused(Exception):
    """The file as a whole cannot be read; ``rows`` is its row count if known."""

    def __init__(self, message: str, rows: int | None = None) -> None:
        super().__init__(message)
        self.rows = rows


def _refused(problem: str, reason: str, rows: int) -> FileRead:
    return FileRead(pa.table({}), None, rows, (), (), problem, reason)


def _read_csv(delivery: DeliveryFile, quotes: int) -> tuple[list[str], pa.Table, pa.Table | None]:
    try:
        header = next(csv.reader([first_line(delivery.path).decode("utf-8-sig")]), [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _Refused(f"the header line cannot be read as UTF-8 CSV ({exc})") from exc
    if not header:
        if delivery.path.stat().st_size == 0:
            return [], pa.table({}), None  # a zero-byte file: an empty delivery
        raise _Refused("the first line is empty: a CSV delivery starts with its header")
    names = _checked_names(header)
    if quotes % 2 and (line := unclosed_quote_line(delivery.path.read_bytes())) is not None:
        raise _Refused(
            f"unbalanced double quote: the quoted field opened on line {line} is "
            "never closed, so every line after it would be misread"
        )
    invalid: list[tuple[int | None, str, str]] = []
    table = _parse_csv(delivery.path, names, invalid, threads=True)
    if invalid:  # read again on one thread: only then does Arrow number the bad lines
        invalid.clear()
        table = _parse_csv(delivery.path, names, invalid, threads=False)
    decoded, bad = decode_utf8(table, names)
    if invalid:
        skipped = {n - 1 for n, _, _ in invalid if n is not None}  # the header is row 1
        kept = [n for n in range(1, table.num_rows + len(invalid) + 1) if n not in skipped]
        numbers = np.asarray(kept[: table.num_rows], dtype=np.int64)
    else:
        numbers = np.arange(1, table.num_rows + 1)
    decoded = decoded.append_column("_source_row", pa.array(numbers, pa.int64()))
    bad_rows = [dict(row, _source_row=int(numbers[i])) for i, row in bad]
    bad_rows += [
        {
            "_source_row": n - 1 if n else None,
            "_rules": [MALFORMED_ROW],
            "_detail": detail,
            "_raw_line": text,
        }
        for n, detail, text in invalid
    ]
    return names, _without(decoded, bad), _bad_table(names, bad_rows)


def _parse_csv(path: Path, names: list[str], invalid: list, threads: bool) -> pa.Table:
    def on_invalid(row) -> str:
        detail = f"expected {row.expected_columns} fields, found {row.actual_columns}"
        invalid.append((row.number, detail, row.text))
        return "skip"

    def read(block_size: int) -> pa.Table:
        return pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(
                column_names=names, skip_rows=1, use_threads=threads, block_size=block_size
            ),
            parse_options=pa_csv.ParseOptions(invalid_row_handler=on_invalid),
            # binary, not string: a row with bytes that are not UTF-8 is quarantined, not fatal
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.binary() for name in names},
                # Only an empty field is missing. Arrow's default list ("NA", "N/A", "null",
                # "nan", ...) would turn Namibia's country code and an amount of NaN into
                # NULL without a word; what else means "missing" is per table and column,
                # in a mapping file (ml/mapping).
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )

    try:
        return read(DEFAULT_BLOCK_BYTES)
    except pa.ArrowInvalid as exc:
        if "straddl" not in str(exc):
            raise _Refused(f"cannot be parsed as CSV ({exc})") from exc
    # A row longer than a block (a 50 MB field): read again in one block, so the row is
    # read and then quarantined on its own by value_oversize, with the rows beside it kept.
    invalid.clear()
    try:
        return read(min(max(path.stat().st_size + 1, DEFAULT_BLOCK_BYTES), MAX_BLOCK_BYTES))
    except pa.ArrowInvalid as exc:
        raise _Refused(f"cannot be parsed as CSV ({exc})") from exc


def _read_parquet(delivery: DeliveryFile) -> tuple[list[str], pa.Table, pa.Table | None]:
    try:
        table = pq.read_table(delivery.path)
    except (pa.ArrowException, OSError) as exc:
        raise _Refused(f"not a readable Parquet file ({exc})", 0) from exc
    names = _checked_names(table.column_names, table.num_rows)
    nested = [
        f"{n} ({t})"
        for n, t in zip(names, table.schema.types, strict=True)
        if pa.types.is_nested(t)
    ]
    if nested:
        raise _Refused(
            f"nested column(s) {', '.join(nested)}: a delivery holds flat columns "
            "(text, numbers, dates, booleans)",
            table.num_rows,
        )
    columns = {}
    for name, column in zip(names, table.columns, strict=True):
        is_binary = pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type)
        columns[name] = column.cast(pa.binary()) if is_binary else column.cast(pa.string())
    decoded, bad = decode_utf8(pa.table(columns), names)
    numbered = decoded.append_column(
        "_source_row", pa.array(np.arange(1, decoded.num_rows + 1), pa.int64())
    )
    bad_rows = [dict(row, _source_row=i + 1) for i, row in bad]
    return names, _without(numbered, bad), _bad_table(names, bad_rows)


def _without(table: pa.Table, bad: list[tuple[int, dict]]) -> pa.Table:
    """``table`` without the rows whose indices ``bad`` lists."""
    if not bad:
        return table
    keep = np.ones(table.num_rows, dtype=bool)
    keep[[i for i, _ in bad]] = False
    return table.filter(pa.array(keep))


def _checked_names(raw_names: list[str], rows: int | None = None) -> list[str]:
    """Column names lower-cased and stripped; refused when empty, repeated, quoted or reserved."""
    names = [str(name).strip().lower() for name in raw_names]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise _Refused(f"repeats column(s) {', '.join(duplicated)}", rows)
    if any(not n or '"' in n for n in names):
        raise _Refused(
            f"has a column with no name or with a double quote in its name: {raw_names!r}", rows
        )
    reserved = [n for n in names if n.startswith("_")]
    if reserved:
        raise _Refused(
            f"column name(s) {', '.join(reserved)} start with _, which is reserved "
            "for the load's own columns",
            rows,
        )
    return names


def _key_null_everywhere(table: pa.Table, key: tuple[str, ...]) -> bool:
    missing = None
    for column in key:
        empty = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(table[column]), ""), True)
        missing = empty if missing is None else pc.or_(missing, empty)
    return bool(pc.all(missing).as_py())


def _with_lineage(table: pa.Table, delivery: DeliveryFile, loaded_at: datetime) -> pa.Table:
    rows = table.num_rows
    if "_source_row" not in table.column_names:
        table = table.append_column("_source_row", pa.array(np.arange(1, rows + 1), pa.int64()))
    lineage = {
        "_delivery_date": pa.scalar(delivery.delivery_date, pa.date32()),
        "_source_file": pa.scalar(delivery.relative_path, pa.string()),
        "_loaded_at": pa.scalar(loaded_at, pa.timestamp("us")),
    }
    for name, value in lineage.items():
        table = table.append_column(name, pa.repeat(value, rows))
    return table


def _bad_table(names: list[str], rows: list[dict]) -> pa.Table | None:
    if not rows:
        return None
    schema = pa.schema(
        [
            *((n, pa.string()) for n in names),
            ("_source_row", pa.int64()),
            *QUARANTINE_COLUMNS.items(),
        ]
    )
    return pa.Table.from_pylist([{n: row.get(n) for n in schema.names} for row in rows], schema)


def _delimiter_hint(names: list[str]) -> str:
    """Why the columns are missing when the header was split on the wrong delimiter."""
    if len(names) != 1:
        return ""
    for delimiter, word in OTHER_DELIMITERS.items():
        if delimiter in names[0]:
            return (
                f": its header is one column separated by {word} ({delimiter!r}); deliveries "
                "are comma-separated CSV, so export it with commas (or map it with a mapping file)"
            )
    return ""
