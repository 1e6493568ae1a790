"""A drifted landing zone: earlier days untouched, later leads from a shifted market."""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path

import pandas as pd
import pytest

import ml.generate.landing
from ml.generate import GenerationSummary, GeneratorConfig, generate_landing_zone

START = dt.date(2024, 1, 1)
DAYS = 120
DRIFT_FROM = dt.date(2024, 3, 11)  # day 70
LEADS = 2_400
COHORT = 500  # small cohorts, so that one of them spans drift_from


def run(out: Path, **drift: object) -> GenerationSummary:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            ml.generate.landing,
            "GeneratorConfig",
            functools.partial(GeneratorConfig, cohort_leads=COHORT),
        )
        return generate_landing_zone(out, seed=21, leads=LEADS, start=START, days=DAYS, **drift)


@pytest.fixture(scope="module")
def zones(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, GenerationSummary]]:
    root = tmp_path_factory.mktemp("drift")
    return {
        "usual": (root / "usual", run(root / "usual")),
        "drifted": (root / "drifted", run(root / "drifted", drift_from=DRIFT_FROM)),
    }


def day_files(out: Path) -> dict[tuple[str, dt.date], bytes]:
    """Every delivery file by (path inside the table, delivery day)."""
    return {
        (str(p.relative_to(out)), dt.date.fromisoformat(p.parent.name)): p.read_bytes()
        for table in ml.generate.TABLES
        for p in sorted((out / table).glob("*/*.csv"))
    }


def latest_leads(out: Path) -> pd.DataFrame:
    frames = [pd.read_csv(p, dtype=str) for p in sorted((out / "leads").glob("*/leads.csv"))]
    leads = pd.concat(frames).dropna(subset=["lead_id"])
    leads = leads.sort_values(["lead_id", "updated_at"]).drop_duplicates("lead_id", keep="last")
    leads = leads.reset_index(drop=True)
    leads["after"] = leads["created_at"] >= DRIFT_FROM.isoformat()
    leads["employees"] = leads["employees"].astype(float)
    return leads


def test_files_before_drift_from_are_byte_identical_to_a_run_without_drift(zones):
    usual, drifted = day_files(zones["usual"][0]), day_files(zones["drifted"][0])
    assert usual.keys() == drifted.keys()
    before = [key for key in usual if key[1] < DRIFT_FROM]
    assert len(before) >= 7 * 70  # seven tables, 70 days (and maybe the repeated delivery)
    assert all(usual[key] == drifted[key] for key in before)
    changed = [key for key in usual if key[1] >= DRIFT_FROM and usual[key] != drifted[key]]
    assert any(path.startswith("leads/") for path, _ in changed)


def test_leads_from_drift_from_on_come_from_another_source_mix_and_bigger_companies(zones):
    usual, drifted = latest_leads(zones["usual"][0]), latest_leads(zones["drifted"][0])
    before = drifted[~drifted["after"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(before, usual[~usual["after"]].reset_index(drop=True))

    def mix(leads: pd.DataFrame) -> pd.Series:
        return leads.loc[leads["after"], "source"].value_counts(normalize=True)

    assert mix(drifted)["paid_search"] > mix(usual)["paid_search"] + 0.1
    assert mix(drifted)["web"] < mix(usual)["web"] - 0.1
    after_usual = usual.loc[usual["after"], "employees"].median()
    assert drifted.loc[drifted["after"], "employees"].median() > 2 * after_usual


def test_the_summary_counts_the_mess_of_a_drifted_run_as_found_in_its_files(zones):
    out, summary = zones["drifted"]
    leads = pd.concat(pd.read_csv(p, dtype=str) for p in (out / "leads").glob("*/leads.csv"))
    opps = pd.concat(
        pd.read_csv(p, dtype=str) for p in (out / "opportunities").glob("*/opportunities.csv")
    )
    assert summary.mess["lead_null_id"] == leads["lead_id"].isna().sum()
    assert summary.mess["lead_malformed_email"] == leads["email"].str.contains(" at ").sum()
    assert summary.mess["opportunity_negative_amount"] == (opps["amount"].astype(float) < 0).sum()
    assert summary.mess["opportunity_unknown_stage"] == (opps["stage"] == "Closed Won!!").sum()
    early = opps["close_date"] < opps["created_at"].str[:10]
    assert summary.mess["opportunity_close_date_before_created"] == early.sum()


def test_the_marker_records_the_drift_only_when_there_is_one(zones):
    def parameters(out: Path) -> dict[str, object]:
        return json.loads((out / "_generator.json").read_text())["parameters"]

    assert "drift_from" not in parameters(zones["usual"][0])
    drifted = parameters(zones["drifted"][0])
    assert drifted["drift_from"] == "2024-03-11" and drifted["drift_strength"] == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"drift_from": "2024-03-01"}, "drift_from must be a date between start"),
        ({"drift_from": dt.date(2023, 12, 31)}, "drift_from must be a date between start"),
        ({"drift_from": dt.date(2024, 2, 1)}, r"and the last day \(2024-01-30\)"),
        ({"drift_from": dt.date(2024, 1, 5), "drift_strength": 0}, "drift_strength must be"),
        ({"drift_from": dt.date(2024, 1, 5), "drift_strength": 1.5}, r"in \(0, 1\]"),
    ],
)
def test_bad_drift_arguments_raise_a_clear_error(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate_landing_zone(tmp_path / "zone", leads=10, start=START, days=30, **kwargs)
    assert not (tmp_path / "zone").exists()
