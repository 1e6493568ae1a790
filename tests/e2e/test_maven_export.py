"""End to end on a real export: the public Maven CRM export, through its mapping and the
nightly DAG."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ml.settings import REPO_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SALESPIPE = str(Path(sys.executable).with_name("salespipe"))
EXPORT = REPO_ROOT.parent / "shared" / "data" / "maven_crm"
MAPPING = REPO_ROOT / "examples" / "maven_crm" / "mapping.yml"


def salespipe(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SALESPIPE_HOME": str(home)}
    env.pop("SALESPIPE_LANDING", None)
    return subprocess.run([SALESPIPE, *args], env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def maven_home(tmp_path_factory):
    if not EXPORT.is_dir():
        pytest.fail(f"The Maven export is expected beside the repository at {EXPORT}")
    home = tmp_path_factory.mktemp("maven") / "home"
    ingest = salespipe(home, "ingest", "--landing", str(EXPORT), "--mapping", str(MAPPING))
    assert ingest.returncode == 0, ingest.stdout[-3000:] + ingest.stderr[-3000:]
    run = salespipe(home, "run", "--date", "2017-12-31")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return home, ingest.stdout


def test_ingest_reports_what_the_mapping_did(maven_home):
    _, out = maven_home
    assert "1,425 opportunities have no account: account_id left empty" in out
    assert "leads" in out and "not in this export" in out


def test_every_deal_reaches_the_marts(maven_home):
    home, _ = maven_home
    with duckdb.connect(str(home / "warehouse" / "salespipe.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from marts.opportunities").fetchone() == (8_800,)
        stages = {
            s for (s,) in con.execute("select distinct stage from marts.opportunities").fetchall()
        }
        assert stages == {"prospecting", "qualification", "closed_won", "closed_lost"}
        won = con.execute(
            "select count(*), sum(amount) from marts.opportunities where is_won"
        ).fetchone()
        assert won[0] == 4_238 and won[1] > 0
        revenue = con.execute("select sum(won_amount) from marts.daily_revenue").fetchone()[0]
        assert revenue == pytest.approx(won[1])
        assert con.execute("select count(*) from marts.lead_features").fetchone() == (0,)
