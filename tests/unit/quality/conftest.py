"""Fixtures: a small landing zone written in tmp_path, and a warehouse to ingest it into."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from quality_helpers import LEADS_HEADER, OPPS_HEADER, Landing, lead, opp

from ml.settings import Settings, load_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        {"SALESPIPE_HOME": str(tmp_path / "home"), "SALESPIPE_LANDING": str(tmp_path / "landing")}
    )


@pytest.fixture
def landing(settings: Settings) -> Landing:
    """A valid first delivery: two leads and an opportunity on 2024-01-01."""
    zone = Landing(settings.landing)
    zone.write("leads/2024-01-01/leads.csv", LEADS_HEADER, lead("L1"), lead("L2"))
    zone.write("opportunities/2024-01-01/opportunities.csv", OPPS_HEADER, opp("O1"))
    return zone


@pytest.fixture
def con(settings: Settings):
    settings.work_warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.work_warehouse)) as connection:
        yield connection
