"""Fast builders for the Arrow columns the CSV files are written from.

Millions of ids and timestamps are formatted here, so nothing loops in Python: fixed
width strings are assembled as byte matrices with numpy and handed to Arrow as
buffers. Times are int64 seconds since 1970-01-01 (UTC), dates are int days.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)


def _validity(valid: np.ndarray | None) -> pa.Buffer | None:
    if valid is None or bool(valid.all()):
        return None
    return pa.py_buffer(np.packbits(valid.astype(bool), bitorder="little"))


def _from_matrix(chars: np.ndarray, valid: np.ndarray | None) -> pa.StringArray:
    n, width = chars.shape
    if width * n >= 2**31:  # int32 offsets; cohorts are far smaller than this
        raise ValueError(f"too many rows to format at once: {n:,}")
    offsets = np.arange(0, width * (n + 1), width, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(),
        n,
        [_validity(valid), pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars))],
    )


def _put_digits(chars: np.ndarray, col: int, values: np.ndarray, width: int) -> None:
    """Write ``values`` zero-padded to ``width`` digits into ``chars[:, col:col+width]``."""
    v = values.astype(np.int64)
    for i in range(width - 1, -1, -1):
        chars[:, col + i] = _DIGITS[v % 10]
        v = v // 10


def ids(prefix: str, numbers: np.ndarray, width: int, valid: np.ndarray | None = None) -> pa.Array:
    """Ids like ``L00001234``: ``prefix`` then ``numbers`` zero-padded to ``width`` digits.

    ``valid`` (optional boolean mask) marks rows that get a value; the others are null.
    """
    p = prefix.encode()
    chars = np.empty((len(numbers), len(p) + width), dtype=np.uint8)
    chars[:, : len(p)] = np.frombuffer(p, dtype=np.uint8)
    _put_digits(chars, len(p), np.asarray(numbers), width)
    return _from_matrix(chars, valid)


def _date_table(first_day: int, last_day: int) -> np.ndarray:
    days = np.arange(first_day, last_day + 1).astype("datetime64[D]")
    text = np.datetime_as_string(days, unit="D").astype("S10")
    return np.frombuffer(text.tobytes(), dtype=np.uint8).reshape(-1, 10)


def timestamps(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Format epoch seconds as ``2024-03-05T14:22:10Z`` strings (null where not ``valid``)."""
    secs = np.asarray(seconds, dtype=np.int64)
    chars = np.empty((len(secs), 20), dtype=np.uint8)
    if len(secs):
        if valid is not None:  # null slots may hold junk; keep them inside the date table
            secs = np.where(valid, secs, secs[valid][0] if valid.any() else 0)
        day = secs // 86_400
        sod = secs - day * 86_400
        lo = int(day.min())
        chars[:, :10] = _date_table(lo, int(day.max()))[day - lo]
        chars[:, 10] = ord("T")
        _put_digits(chars, 11, sod // 3600, 2)
        chars[:, 13] = ord(":")
        _put_digits(chars, 14, (sod // 60) % 60, 2)
        chars[:, 16] = ord(":")
        _put_digits(chars, 17, sod % 60, 2)
        chars[:, 19] = ord("Z")
    return _from_matrix(chars, valid)


def dates(epoch_days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Epoch days as an Arrow date32 column (written as ``2024-03-05``)."""
    mask = None if valid is None else ~valid
    return pa.array(np.asarray(epoch_days, dtype=np.int32), pa.date32(), mask=mask)


def money(cents: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Integer cents as a decimal column with two places (written as ``1234.50``)."""
    c = np.asarray(cents, dtype=np.int64)
    words = np.empty((len(c), 2), dtype=np.int64)
    words[:, 0] = c
    words[:, 1] = np.where(c < 0, -1, 0)  # sign-extend to 128 bits
    return pa.Array.from_buffers(
        pa.decimal128(18, 2), len(c), [_validity(valid), pa.py_buffer(words)]
    )


def pick(vocab: Sequence[str], codes: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Strings from a small vocabulary by integer code (null where not ``valid``)."""
    mask = None if valid is None else ~valid
    index = pa.array(np.asarray(codes, dtype=np.int32), mask=mask)
    return pa.array(list(vocab), pa.string()).take(index)


def integers(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """An int64 column (null where not ``valid``)."""
    mask = None if valid is None else ~valid
    return pa.array(np.asarray(values, dtype=np.int64), mask=mask)
