"""End to end: the demo builds the warehouse through Airflow; a re-run with a BI reader open
changes nothing, is not blocked, and the reader never sees half a night."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SALESPIPE = str(Path(sys.executable).with_name("salespipe"))
DEMO_ARGS = ["--leads", "800", "--days", "150"]
PERSONAL_COLUMNS = {"email", "first_name", "last_name", "phone"}


def salespipe(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SALESPIPE_HOME": str(home)}
    env.pop("SALESPIPE_LANDING", None)
    return subprocess.run([SALESPIPE, *args], env=env, capture_output=True, text=True, timeout=900)


def table_fingerprints(path: Path) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent digest of every published table."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema <> 'meta' order by 1"
        ).fetchall()
        return {
            name: con.execute(
                f"select count(*), coalesce(md5(string_agg(t::varchar, chr(10) "
                f"order by t::varchar)), '') from {name} as t"
            ).fetchone()
            for (name,) in tables
        }


class Reader:
    """A BI tool holding the published file open read-only, in its own process."""

    SCRIPT = (
        "import sys, duckdb\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "for line in sys.stdin:\n"
        "    print(con.execute(line).fetchone()[0], flush=True)\n"
    )

    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", self.SCRIPT, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def query(self, sql: str) -> str:
        self.process.stdin.write(sql + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e") / "home"
    result = salespipe(home, "demo", *DEMO_ARGS)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return home, result.stdout


def published_path(home: Path) -> Path:
    return home / "warehouse" / "salespipe.duckdb"


def test_demo_prints_real_row_counts_and_where_to_look(demo):
    home, out = demo
    assert str(published_path(home)) in out
    assert "salespipe airflow standalone" in out
    counts = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "rows" and parts[0].startswith("marts."):
            counts[parts[0]] = int(parts[1].replace(",", ""))
    assert {"marts.lead_features", "marts.opportunities", "marts.daily_revenue"} <= set(counts)
    assert all(rows > 0 for rows in counts.values()), counts


def test_marts_hold_the_business_date(demo):
    home, _ = demo
    with duckdb.connect(str(published_path(home)), read_only=True) as con:
        (business_date,) = con.execute("select business_date from meta.publication").fetchone()
        assert str(business_date) == "2024-05-29"  # 150 days from the demo's 2024-01-01
        open_leads = con.execute(
            "select count(*) from marts.lead_features where as_of_date = ?", [business_date]
        ).fetchone()[0]
        assert open_leads > 0
        assert con.execute("select sum(won_amount) from marts.daily_revenue").fetchone()[0] > 0


def test_the_run_is_recorded_in_airflow(demo):
    home, _ = demo
    with sqlite3.connect(home / "airflow" / "airflow.db") as db:
        runs = db.execute(
            "select state, date(data_interval_start) from dag_run "
            "where dag_id = 'nightly_warehouse'"
        ).fetchall()
    assert runs == [("success", "2024-05-29")]


def test_no_personal_data_reaches_the_published_warehouse(demo):
    home, _ = demo
    landing_emails = duckdb.sql(
        f"select distinct email from read_csv('{home}/landing/leads/*/*.csv', all_varchar=true, "
        "union_by_name=true) where email is not null limit 50"
    ).fetchall()
    with duckdb.connect(str(published_path(home)), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name, data_type "
            "from information_schema.columns"
        ).fetchall()
        assert not {c[2] for c in columns} & PERSONAL_COLUMNS
        assert {c[0] for c in columns} <= {"marts", "ml", "monitoring", "meta"}
        for schema, table, column, data_type in columns:
            if data_type != "VARCHAR":
                continue
            found = con.execute(
                f'select count(*) from {schema}.{table} where "{column}" in '
                f"(select unnest(?::varchar[]))",
                [[e for (e,) in landing_emails]],
            ).fetchone()[0]
            assert found == 0, f"clear-text email in {schema}.{table}.{column}"


def test_rerun_with_a_reader_open_is_unblocked_unchanged_and_never_half_seen(demo):
    home, _ = demo
    before = table_fingerprints(published_path(home))
    reader = Reader(published_path(home))
    try:
        published_before = reader.query("select published_at from meta.publication")

        result = salespipe(home, "run", "--date", "2024-05-29")

        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        # The open reader still sees the whole of the night it opened, not a mix.
        assert reader.query("select published_at from meta.publication") == published_before
        assert reader.query("select count(*) from marts.lead_features") == str(
            before["marts.lead_features"][0]
        )
    finally:
        reader.close()
    assert table_fingerprints(published_path(home)) == before
