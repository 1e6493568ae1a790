"""One small night for every serving test: a generated landing zone, the nightly DAGs
through Airflow (warehouse, lead scoring trains and promotes v1 and scores), and the
scoring service's parts built once on it (loading the champion and compiling its SQL)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from lead_requests import BUSINESS_DATE, TOKEN

from ml.lead_scoring.config import lead_scoring_config
from ml.serving.champion import ChampionHolder
from ml.serving.scoring import OnlineScorer, PopulationCache
from ml.settings import Settings, load_settings

SALESPIPE = str(Path(sys.executable).with_name("salespipe"))
# Small data: the minimums and the model scaled down with it; forecasting is not served.
CONFIG = """\
lead_scoring:
  label_window_days: 60
  min_mature_leads: 300
  min_converted_leads: 40
  min_comparison_rows: 50
  xgboost: {n_estimators: 60}
forecasting: {enabled: false}
"""


@dataclass(frozen=True)
class Night:
    home: Path
    settings: Settings

    def work(self, sql: str, params=()) -> list[tuple]:
        path = self.home / "warehouse" / "work" / "salespipe_work.duckdb"
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(sql, list(params)).fetchall()


def _salespipe(home: Path, *args: str) -> str:
    env = {**os.environ, "SALESPIPE_HOME": str(home)}
    env.pop("SALESPIPE_LANDING", None)
    done = subprocess.run([SALESPIPE, *args], env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="session")
def night(tmp_path_factory) -> Night:
    home = tmp_path_factory.mktemp("serving") / "home"
    home.mkdir()
    (home / "salespipe.yml").write_text(CONFIG)
    _salespipe(home, "generate", "--out", str(home / "landing"), "--leads", "1500", "--days", "200")
    _salespipe(home, "run", "--date", BUSINESS_DATE.isoformat())
    return Night(home, load_settings({"SALESPIPE_HOME": str(home), "SALESPIPE_API_TOKENS": TOKEN}))


@pytest.fixture(scope="session")
def holder(night: Night) -> ChampionHolder:
    """The champion loaded and its feature SQL compiled (about 15 s), once."""
    return ChampionHolder(night.settings, poll_seconds=3600)


@pytest.fixture(scope="session")
def scorer(night: Night, holder: ChampionHolder) -> OnlineScorer:
    return OnlineScorer(
        holder,
        lead_scoring_config(night.settings),
        PopulationCache(night.settings.warehouse),
        night.settings.pii_key(),
    )
