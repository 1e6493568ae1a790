"""Deleted rows must be gone from the file's bytes: CHECKPOINT does not do it, a rewrite does."""

from __future__ import annotations

import os

import duckdb

from ml.privacy.compact import rewrite_database

PLANTED = "zq.planted.person@example.org"


def _bytes_hold(path, text: str) -> int:
    return path.read_bytes().count(text.encode())


def test_checkpoint_leaves_deleted_values_in_the_file_and_a_rewrite_removes_them(tmp_path):
    path = tmp_path / "work.duckdb"
    with duckdb.connect(str(path)) as con:
        # uncompressed, so that a grep can see a value at all (FSST would hide it)
        con.execute("pragma force_compression='uncompressed'")
        con.execute(
            f"create table leads as select 'L' || i as lead_id, case when i % 50000 = 7 "
            f"then '{PLANTED}' else 'user' || i || '@mail.com' end as email "
            "from range(300000) t(i)"
        )
        con.execute("create view planted as select * from leads where email = 'x'")
    os.chmod(path, 0o600)
    assert _bytes_hold(path, PLANTED) == 6  # the positive control: grep can see it

    with duckdb.connect(str(path)) as con:
        con.execute(f"delete from leads where email = '{PLANTED}'")
        con.execute("checkpoint")
        con.execute("vacuum leads")
        con.execute("checkpoint")
        left = con.execute(f"select count(*) from leads where email = '{PLANTED}'").fetchone()
        assert left == (0,)
    assert _bytes_hold(path, PLANTED) == 6  # deleted for SQL, still in the bytes

    before, after = rewrite_database(path)
    assert _bytes_hold(path, PLANTED) == 0
    assert after < before
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("select count(*) from leads").fetchone() == (299_994,)
        assert con.execute("select count(*) from planted").fetchone() == (0,)  # views kept
    assert not list(tmp_path.glob(".*tmp*"))
