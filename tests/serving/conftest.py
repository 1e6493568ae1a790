"""One small night for every serving test: the shared night (tests/nights.py: a generated
landing zone, the nightly DAGs through Airflow; lead scoring trains and promotes v1 and
scores), and the scoring service's parts built once on it (loading the champion and
compiling its SQL, for leads and for deals)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from lead_requests import BUSINESS_DATE, TOKEN

from ml.lead_scoring.config import lead_scoring_config
from ml.serving.champion import ChampionHolder
from ml.serving.config import ServingConfig
from ml.serving.deals import DealScorer
from ml.serving.scoring import OnlineScorer, PopulationCache
from ml.serving.service import deal_scorer as build_deal_scorer
from ml.settings import Settings, load_settings


@dataclass(frozen=True)
class Night:
    home: Path
    settings: Settings

    def work(self, sql: str, params=()) -> list[tuple]:
        path = self.home / "warehouse" / "work" / "salespipe_work.duckdb"
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(sql, list(params)).fetchall()


@pytest.fixture(scope="session")
def night(shared_night) -> Night:
    assert shared_night.business_date == BUSINESS_DATE
    settings = load_settings(
        {"SALESPIPE_HOME": str(shared_night.home), "SALESPIPE_API_TOKENS": TOKEN}
    )
    return Night(shared_night.home, settings)


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


@pytest.fixture(scope="session")
def deal_scorer(night: Night) -> DealScorer:
    """The deal scorer of the night's install: opportunity_features' SQL compiled, the
    published deal history and the deal champion's alias read (about 20 s), once."""
    scorer = build_deal_scorer(night.settings, ServingConfig())
    assert scorer is not None  # deal scoring is on for the night
    return scorer
