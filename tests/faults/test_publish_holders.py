"""Readers cannot hurt the night: a BI tool holding the published file read-only, read-write,
or read-write *and writing* never leaves a WAL that breaks the next publish or other
readers. Each holder is a real DuckDB connection in another process, as a BI tool's is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ml.warehouse.publish import manifest_path, publish_warehouse

HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
print("open", flush=True)
for line in sys.stdin:
    try:
        row = con.execute(line).fetchone()
        print(row[0] if row else "ok", flush=True)
    except Exception as exc:
        print("error: " + str(exc).replace(chr(10), " "), flush=True)
con.close()
print("closed", flush=True)
"""


class Holder:
    """A process holding ``path`` open (``ro`` or ``rw``), running the SQL it is sent."""

    def __init__(self, path: Path, mode: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(path), mode],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.readline() == "open"

    def readline(self) -> str:
        assert self.process.stdout
        return self.process.stdout.readline().strip()

    def run(self, sql: str) -> str:
        assert self.process.stdin
        self.process.stdin.write(sql + "\n")
        self.process.stdin.flush()
        return self.readline()

    def close(self) -> str:
        assert self.process.stdin
        self.process.stdin.close()
        last = self.readline()
        self.process.wait(timeout=30)
        return last


def build_work(path: Path, rows: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            f"create or replace table marts.daily_revenue as select range as day from range({rows})"
        )


def read_in_another_process(path: Path) -> str:
    code = (
        "import sys, duckdb\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "print(con.execute('select count(*) from marts.daily_revenue').fetchone()[0], "
        "con.execute('select business_date from meta.publication').fetchone()[0])"
    )
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    return (result.stdout + result.stderr).strip().splitlines()[-1]


@pytest.fixture
def night(tmp_path):
    work, published = tmp_path / "work.duckdb", tmp_path / "warehouse" / "salespipe.duckdb"
    build_work(work, 3)
    publish_warehouse(work, published, date(2025, 4, 20))
    return work, published


@pytest.mark.parametrize("mode", ["ro", "rw"])
def test_a_holder_that_only_reads_keeps_its_night_and_the_next_reader_gets_the_new_one(night, mode):
    work, published = night
    holder = Holder(published, mode)
    assert holder.run("select count(*) from marts.daily_revenue") == "3"

    build_work(work, 5)
    publish_warehouse(work, published, date(2025, 4, 21))

    assert holder.run("select count(*) from marts.daily_revenue") == "3"
    assert read_in_another_process(published) == "5 2025-04-21"
    assert holder.close() == "closed"
    assert read_in_another_process(published) == "5 2025-04-21"


def test_a_holder_that_writes_cannot_leave_a_wal_that_breaks_the_next_night(night):
    work, published = night
    holder = Holder(published, "rw")

    # A write to the published file is refused: it has nowhere to put its log.
    refused = holder.run("create table marts.scratch as select 42 as answer")
    assert refused.startswith("error: ") and "salespipe.duckdb.wal" in refused, refused

    build_work(work, 5)
    publish_warehouse(work, published, date(2025, 4, 21))
    # Writing again after the swap, to a file that is no longer the published one.
    assert holder.run("insert into marts.daily_revenue values (99)").startswith("error: ")

    # Readers and the next publish work while the writer still holds its file...
    assert read_in_another_process(published) == "5 2025-04-21"
    build_work(work, 7)
    publish_warehouse(work, published, date(2025, 4, 22))
    assert read_in_another_process(published) == "7 2025-04-22"
    # ...and after it has closed.
    assert holder.close() == "closed"
    assert read_in_another_process(published) == "7 2025-04-22"
    wal = published.with_name("salespipe.duckdb.wal")
    assert wal.is_symlink() and not wal.exists()


def test_a_wal_left_by_an_older_version_is_replaced_at_the_next_publish(night):
    work, published = night
    wal = published.with_name("salespipe.duckdb.wal")
    wal.unlink()
    with duckdb.connect(str(published)) as con:  # as an old install's BI tool did
        con.execute("create table marts.scratch as select 1 as x")
        wal_bytes = Path(f"{published}.wal")
        assert wal_bytes.exists() and not wal_bytes.is_symlink()
        build_work(work, 5)
        publish_warehouse(work, published, date(2025, 4, 21))
        assert read_in_another_process(published) == "5 2025-04-21"


def test_an_interrupted_publish_leaves_a_copy_the_next_publish_removes(night, tmp_path):
    work, published = night
    # What `kill -9` during the copy leaves: a temporary copy of a process that is gone.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    stray = published.with_name(f".salespipe.duckdb.{dead}.tmp")
    stray.write_bytes(b"half a copy")
    Path(f"{stray}.wal").write_bytes(b"half a log")

    build_work(work, 5)
    publish_warehouse(work, published, date(2025, 4, 21))

    assert not stray.exists() and not Path(f"{stray}.wal").exists()
    assert sorted(p.name for p in published.parent.iterdir()) == [
        "salespipe.duckdb", "salespipe.duckdb.publication.json", "salespipe.duckdb.wal",
        "salespipe_deal_history.duckdb",
    ]  # fmt: skip


def test_the_manifest_says_which_night_is_published(night):
    _, published = night
    manifest = json.loads(manifest_path(published).read_text())
    assert manifest["business_date"] == "2025-04-20" and manifest["status"] == "complete"
    assert manifest["row_counts"] == {"marts.daily_revenue": 3}
    assert os.path.basename(manifest_path(published)) == "salespipe.duckdb.publication.json"
