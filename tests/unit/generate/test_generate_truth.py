"""The generator's own truth: the conversion probability of every lead it made."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from ml.generate import generate_landing_zone
from ml.metrics import classification_metrics
from ml.warehouse.landing import scan_landing_zone

LEADS = 3_000


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("truth") / "zone"
    generate_landing_zone(out, seed=5, leads=LEADS, start=dt.date(2024, 1, 1), days=150)
    return out


def test_one_truth_row_per_lead_with_a_probability_and_the_outcome(zone):
    path = zone / "_truth" / "leads.csv"
    assert path.read_text().splitlines()[0] == (
        '"lead_id","true_conversion_probability","converted"'
    )
    truth = pd.read_csv(path)
    assert len(truth) == LEADS and truth["lead_id"].is_unique
    assert truth["lead_id"].iloc[0] == "L00000001"
    assert truth["true_conversion_probability"].between(0, 1, inclusive="neither").all()
    assert truth["converted"].dtype == bool


def test_the_probabilities_are_calibrated_and_rank_the_outcomes(zone):
    truth = pd.read_csv(zone / "_truth" / "leads.csv")
    probability, converted = truth["true_conversion_probability"], truth["converted"]
    assert abs(probability.mean() - converted.mean()) < 0.025  # 3 standard errors at 3,000
    assert classification_metrics(converted, probability).roc_auc > 0.75


def test_leads_the_crm_shows_converted_are_converted_in_the_truth(zone):
    leads = pd.concat(pd.read_csv(p, dtype=str) for p in (zone / "leads").glob("*/leads.csv"))
    shown = set(leads.loc[leads["status"] == "converted", "lead_id"].dropna())
    truth = pd.read_csv(zone / "_truth" / "leads.csv").set_index("lead_id")["converted"]
    assert shown and truth[sorted(shown)].all()


def test_ingest_does_not_see_the_truth_and_a_rerun_replaces_it(zone, tmp_path):
    scan = scan_landing_zone(zone)
    assert not any("_truth" in f.relative_path for f in scan.files)
    assert not any("_truth" in path for path, _ in scan.skipped)
    out = tmp_path / "zone"
    generate_landing_zone(out, seed=1, leads=40, start=dt.date(2024, 1, 1), days=10)
    generate_landing_zone(out, seed=1, leads=30, start=dt.date(2024, 1, 1), days=10)
    assert len(pd.read_csv(out / "_truth" / "leads.csv")) == 30
