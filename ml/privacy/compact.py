"""Rewrite a DuckDB file so that deleted rows are gone from its bytes, not just hidden.

A ``DELETE`` in DuckDB marks rows deleted; ``CHECKPOINT`` (and ``VACUUM``) write the
deletion but leave the row group, and a freed block keeps its old bytes until reused:
with uncompressed storage a deleted email is still readable in the file after both
(tests/unit/privacy/test_compact.py shows it). Copying the database into a fresh file
(``COPY FROM DATABASE``) writes only the live rows, and their statistics anew; the copy
is then renamed over the original.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb


def rewrite_database(path: Path) -> tuple[int, int]:
    """Replace ``path`` by a fresh copy of its live contents; returns (bytes before, after).

    The file must not be open elsewhere (DuckDB's lock makes the copy fail if it is).
    The copy keeps the file's mode.

    Raises:
        duckdb.IOException: another process holds the file.
    """
    before = path.stat().st_size
    fresh = path.with_name(f".{path.name}.rewrite.tmp")
    for leftover in (fresh, Path(f"{fresh}.wal")):
        leftover.unlink(missing_ok=True)
    try:
        with duckdb.connect() as con:
            con.execute(f"attach '{path}' as old_file (read_only)")
            con.execute(f"attach '{fresh}' as new_file")
            con.execute("copy from database old_file to new_file")
            con.execute("detach new_file")
            con.execute("detach old_file")
        os.chmod(fresh, path.stat().st_mode & 0o777)
        fd = os.open(fresh, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(fresh, path)
        Path(f"{path}.wal").unlink(missing_ok=True)  # a clean close leaves none; be sure
    finally:
        fresh.unlink(missing_ok=True)
    return before, path.stat().st_size
