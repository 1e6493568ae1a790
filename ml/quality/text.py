"""Bytes to text, cheaply: checksums, unbalanced quotes, UTF-8 validation, line counts.

The expensive paths (a quote scan in Python, decoding value by value) run only on a
file that has already shown the problem, so clean deliveries pay nothing for them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa

from ml.quality.rules import INVALID_UTF8


def fingerprint(path: Path, chunk_bytes: int = 1 << 20) -> tuple[str, int]:
    """SHA-256 of the file and its number of double quotes, in one pass over the bytes."""
    digest, quotes = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
            quotes += chunk.count(b'"')
    return digest.hexdigest(), quotes


def decode_utf8(table: pa.Table, names: list[str]) -> tuple[pa.Table, list[tuple[int, dict]]]:
    """Binary columns as UTF-8 text; rows with invalid bytes come back apart, decoded with U+FFFD.

    The cast validates a whole column at C speed; only a column that fails is decoded
    value by value, to find its bad rows.
    """
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    bad_cells: dict[int, list[str]] = {}
    for name in names:
        column = table[name]
        if pa.types.is_string(column.type):
            columns[name] = column
            continue
        try:
            columns[name] = column.cast(pa.string())
        except pa.ArrowInvalid:
            values = column.to_pylist()
            for i, value in enumerate(values):
                if value is not None and not _is_utf8(value):
                    bad_cells.setdefault(i, []).append(name)
            columns[name] = pa.array(
                [None if i in bad_cells or v is None else v.decode() for i, v in enumerate(values)],
                pa.string(),
            )
    decoded = pa.table(columns) if names else pa.table({})
    bad = []
    for i, bad_names in sorted(bad_cells.items()):
        row = {n: table[n][i].as_py() for n in names}
        values = {
            n: v.decode("utf-8", "replace") if isinstance(v, bytes) else v for n, v in row.items()
        }
        detail = f"bytes that are not UTF-8 in {', '.join(bad_names)}"
        bad.append((i, dict(values, _rules=[INVALID_UTF8], _detail=detail, _raw_line=None)))
    return decoded, bad


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def first_line(path: Path) -> bytes:
    """The header line's bytes. Decoding only them keeps a bad byte in a row row-level."""
    line = b""
    with path.open("rb") as handle:
        while (chunk := handle.read(1 << 16)) and b"\n" not in chunk:
            line += chunk
        line += chunk.split(b"\n", 1)[0]
    return line.rstrip(b"\r")


def count_lines(path: Path) -> int:
    """Data lines (after the header): the row count of a file that cannot be parsed."""
    with path.open("rb") as handle:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    return max(lines - 1, 0)


def unclosed_quote_line(data: bytes) -> int | None:
    """The line where a quoted CSV field opens and never closes, or None if all close.

    A quote opens a field only at its start (after a comma, a line break or at the
    start); elsewhere it is a literal character, as CSV readers treat it. Inside a
    quoted field a doubled quote is an escaped one.
    """
    position = 0
    while (opening := data.find(b'"', position)) >= 0:
        if opening > 0 and data[opening - 1 : opening] not in (b",", b"\n", b"\r"):
            position = opening + 1
            continue
        cursor = opening + 1
        while True:
            closing = data.find(b'"', cursor)
            if closing < 0:
                return data.count(b"\n", 0, opening) + 1
            if data[closing + 1 : closing + 2] == b'"':
                cursor = closing + 2
                continue
            position = closing + 1
            break
    return None
