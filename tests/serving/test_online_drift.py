"""Drift of the scoring API's inputs (ml.serving.drift on small frames; the step on the
serving night): the nightly comparison, applied to what was scored online."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from lead_requests import BUSINESS_DATE, request_for

from ml import names
from ml.airflow_cli import task_states
from ml.monitoring import DriftConfig
from ml.serving.drift import online_drift_rows
from ml.serving.online_log import online_inputs_file, with_inputs_json, write_online_inputs
from ml.serving.schemas import LeadScoreRequest, raw_columns
from ml.serving.steps import monitor_online_inputs

FEATURES, NUMERIC = ["employees", "source"], ["employees"]
CONFIG = DriftConfig()


def reference(n: int = 2_000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "employees": rng.normal(50, 10, n),
            "source": rng.choice(["web", "event", "partner"], n),
            "prediction": rng.uniform(0, 1, n),
        }
    )


def online(frame: pd.DataFrame, version: str = "3") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(len(frame))],
            "model_version": version,
            "conversion_probability": frame["prediction"].to_numpy(),
            "employees": frame["employees"].to_numpy(),
            "source": frame["source"].to_numpy(),
        }
    )


def drift(current: pd.DataFrame, **kwargs) -> pd.DataFrame:
    return online_drift_rows(
        reference(), current, model_version="3", features=FEATURES, numeric=NUMERIC,
        config=CONFIG, **kwargs,
    ).set_index("feature")  # fmt: skip


def test_inputs_like_the_reference_do_not_drift_and_shifted_ones_do():
    same = drift(online(reference(seed=2)))
    assert list(same.index) == ["employees", "source", "prediction"]
    assert not same["drifted"].any()
    assert (same["online_rows"] == 2_000).all() and (same["current_rows"] == 2_000).all()
    shifted = reference(seed=2).assign(employees=lambda f: f["employees"] + 40, source="event")
    moved = drift(online(shifted))
    assert moved.loc["employees", "drifted"] and moved.loc["source", "drifted"]
    assert not moved.loc["prediction", "drifted"]
    assert moved.loc["employees", "stattest"] == "wasserstein"


def test_a_lead_scored_twice_counts_once_and_other_versions_are_left_out():
    rows = online(reference(seed=2))
    again = rows.iloc[:500].assign(employees=9_999.0)  # the same leads, rescored later
    other = online(reference(60, seed=3), version="2").assign(lead_id=lambda f: "X" + f["lead_id"])
    got = drift(pd.concat([rows, again, other], ignore_index=True))
    assert (got["online_rows"] == 2_000).all()
    assert got.loc["employees", "drifted"]  # the latest values of the 500 rescored
    assert got.loc["employees", "note"].startswith(
        "2000 lead(s) scored online by v3; 60 online score(s) by other versions left out"
    )


def test_too_few_leads_give_no_verdict():
    got = drift(online(reference(30, seed=2)))
    assert not got["drifted"].any() and got["drift_score"].isna().all()
    assert set(got["note"]) == {"30 lead(s) scored online by v3: fewer than 100, not compared"}


def test_online_inputs_without_their_columns_are_refused():
    with pytest.raises(ValueError, match="online inputs lack the column.s. model_version"):
        drift(online(reference(seed=2)).drop(columns="model_version"))


@pytest.mark.slow
def test_every_open_lead_scored_online_drifts_as_the_night_measured(night, scorer, holder):
    """The night's open leads, scored online: the same drift scores as the nightly's own."""
    path = night.home / "warehouse" / "work" / "salespipe_work.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        ids = [r[0] for r in con.execute(
            "select lead_id from ml.lead_scores where score_date = ?", [BUSINESS_DATE]
        ).fetchall()]  # fmt: skip
        body = request_for(con, BUSINESS_DATE, sorted(ids))
    lead_columns, activity_columns = raw_columns(LeadScoreRequest.model_validate(body).leads)
    scored = scorer.score(BUSINESS_DATE, lead_columns, activity_columns)
    log = online_inputs_file(night.home)
    write_online_inputs(log, with_inputs_json(scored.inputs, scored.features))
    try:
        outcome = monitor_online_inputs(BUSINESS_DATE, night.settings)
    finally:
        log.unlink()
    nightly = dict(night.work(
        "select feature, drift_score from monitoring.drift where run_date = ? "
        "and model_name = 'lead_scoring'", [BUSINESS_DATE],
    ))  # fmt: skip
    written = dict(night.work(
        "select feature, drift_score from monitoring.online_drift where run_date = ?",
        [BUSINESS_DATE],
    ))  # fmt: skip
    assert outcome.summary.startswith(f"{len(ids)} lead(s) scored online by v")
    assert set(written) == set(nightly) == {*holder.current.model.spec.columns, "prediction"}
    for feature, score in nightly.items():
        assert written[feature] == pytest.approx(score, abs=1e-9, nan_ok=True), feature


@pytest.mark.slow
def test_the_lead_scoring_night_compares_the_online_inputs_of_its_date(night):
    """The night ran the comparison as a task of nightly_lead_scoring, after the actions
    and before the publication (nothing was scored online that night: a success)."""
    states = task_states(night.settings, names.NIGHTLY_LEAD_SCORING_DAG, BUSINESS_DATE)
    assert states["monitor_online_inputs"] == "success"
    assert states["publish_lead_scores"] == "success"
