"""Writes rows into the per-day delivery files and guards the output folder.

Each cohort's rows are appended to ``<out>/<table>/<YYYY-MM-DD>/<table>.csv`` for the
day they are delivered; the header is written when a file is created, and days
without rows get a header-only file at the end. Only a set of created files is
kept in memory, so memory does not grow with the number of rows written.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ml.generate.config import GENERATOR_NAME, MARKER_FILE, TABLE_COLUMNS, TABLES, TRUTH_FOLDER

_NO_HEADER = pacsv.WriteOptions(include_header=False)
_HEADER = pacsv.WriteOptions(include_header=True)


@dataclass(frozen=True)
class Rows:
    """Rows of one table, the delivery day (0-based) and a sort time for each row."""

    table: pa.Table
    delivery: np.ndarray
    order: np.ndarray
    # Index (in its cohort) of the lead each row belongs to, for the lead-born tables:
    # lets a drifted run keep only some leads' rows of a cohort.
    lead: np.ndarray | None = None


def prepare_output(out: Path) -> None:
    """Make ``out`` ready for a fresh landing zone.

    A missing or empty folder is used as is; a landing zone this generator wrote
    before (recognised by its marker file) is removed first.

    Raises:
        ValueError: if ``out`` is a file, or a non-empty folder the generator did not
            write (the generator never mixes its files with someone else's).
    """
    if out.exists() and not out.is_dir():
        raise ValueError(f"Cannot write a landing zone to {out}: it is a file, not a folder.")
    if not out.exists() or not any(out.iterdir()):
        out.mkdir(parents=True, exist_ok=True)
        return
    names = {p.name for p in out.iterdir()}
    foreign = sorted(names - set(TABLES) - {MARKER_FILE, TRUTH_FOLDER})
    if not _is_own_marker(out / MARKER_FILE) or foreign:
        shown = ", ".join(foreign[:3] or sorted(names)[:3])
        raise ValueError(
            f"Refusing to write into {out}: it is not empty and is not a landing zone written "
            f"by salespipe generate (found {shown}); choose an empty or new folder."
        )
    for name in sorted(names):
        path = out / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()


def _is_own_marker(path: Path) -> bool:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("generator") == GENERATOR_NAME
    except (OSError, ValueError, AttributeError):
        return False


def write_marker(out: Path, content: dict[str, object]) -> None:
    """Write the marker file that lets a re-run recognise (and replace) this output."""
    text = json.dumps({"generator": GENERATOR_NAME, **content}, indent=2, sort_keys=True)
    (out / MARKER_FILE).write_text(text + "\n", encoding="utf-8")


class DeliveryWriter:
    """Appends rows to the daily delivery files of a landing zone."""

    def __init__(self, out: Path, start: dt.date, days: int) -> None:
        self.out = out
        self.start = start
        self.days = days
        self.rows: dict[str, int] = dict.fromkeys(TABLES, 0)
        self._created: set[tuple[str, int]] = set()
        for table in TABLES:
            for day in range(days):
                self._folder(table, day).mkdir(parents=True, exist_ok=True)

    def _folder(self, table: str, day: int) -> Path:
        return self.out / table / (self.start + dt.timedelta(days=day)).isoformat()

    def write(self, name: str, rows: Rows) -> None:
        """Append ``rows`` to the files of their delivery days.

        Rows delivered after the last day are dropped: they have not arrived yet.
        Within a day, rows keep the order of ``rows.order`` (ties in input order).
        """
        keep = np.flatnonzero((rows.delivery >= 0) & (rows.delivery < self.days))
        sort = keep[np.lexsort((rows.order[keep], rows.delivery[keep]))]
        table = rows.table.select(list(TABLE_COLUMNS[name])).take(pa.array(sort))
        day = rows.delivery[sort]
        bounds = np.flatnonzero(np.diff(day)) + 1
        starts = np.concatenate([[0], bounds]) if len(day) else np.array([], dtype=np.int64)
        ends = np.concatenate([bounds, [len(day)]]) if len(day) else starts
        for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
            self._append(name, int(day[lo]), table.slice(lo, hi - lo))
        self.rows[name] += len(sort)

    def _append(self, name: str, day: int, table: pa.Table) -> None:
        new = (name, day) not in self._created
        with open(self._folder(name, day) / f"{name}.csv", "wb" if new else "ab") as f:
            pacsv.write_csv(table, f, _HEADER if new else _NO_HEADER)
        self._created.add((name, day))

    def finish(self) -> int:
        """Give every day without rows a header-only file; return the number of files."""
        for name in TABLES:
            empty = pa.table({c: pa.array([], pa.string()) for c in TABLE_COLUMNS[name]})
            for day in range(self.days):
                if (name, day) not in self._created:
                    self._append(name, day, empty)
        return len(self._created)
