"""End to end on exports of outcomes: a web-form export (final states, no dates) and a
two-file funnel export (DD-MM-YYYY, won deals in a second file), each mapped with its
example mapping and run through the nightly DAGs."""

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
EXAMPLES = REPO_ROOT / "examples"
NIGHT = "2025-06-30"


def salespipe(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SALESPIPE_HOME": str(home)}
    env.pop("SALESPIPE_LANDING", None)
    return subprocess.run([SALESPIPE, *args], env=env, capture_output=True, text=True, timeout=1200)


def mapped_night(tmp_path_factory, example: str) -> tuple[Path, str]:
    home = tmp_path_factory.mktemp(example) / "home"
    folder = EXAMPLES / example
    ingest = salespipe(
        home, "ingest", "--landing", str(folder / "data"), "--mapping", str(folder / "mapping.yml")
    )
    assert ingest.returncode == 0, ingest.stdout[-3000:] + ingest.stderr[-3000:]
    run = salespipe(home, "run", "--date", NIGHT)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
    return home, run.stdout + run.stderr


@pytest.fixture(scope="module")
def lead_form(tmp_path_factory) -> tuple[Path, str]:
    return mapped_night(tmp_path_factory, "lead_form_export")


@pytest.fixture(scope="module")
def funnel(tmp_path_factory) -> tuple[Path, str]:
    return mapped_night(tmp_path_factory, "funnel_export")


def published(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse" / "salespipe.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def champion_tags(home: Path) -> dict[str, str]:
    env_home = os.environ.get("SALESPIPE_HOME")
    os.environ["SALESPIPE_HOME"] = str(home)
    try:
        from ml.registry.tracking import configure_mlflow
        from ml.settings import load_settings

        configure_mlflow(load_settings())
        import mlflow

        version = mlflow.MlflowClient().get_model_version_by_alias("lead_scoring", "champion")
        return dict(version.tags)
    finally:
        if env_home is None:
            os.environ.pop("SALESPIPE_HOME", None)
        else:
            os.environ["SALESPIPE_HOME"] = env_home


def test_a_final_state_export_trains_without_invented_dates(lead_form) -> None:
    home, out = lead_form
    # every open lead is scored by a trained model, not the source prior
    assert published(
        home,
        f"select count(*), min(scoring_method), max(scoring_method) from ml.lead_scores "
        f"where score_date = '{NIGHT}'",
    ) == [(3_105, "model", "model")]
    tags = champion_tags(home)
    assert tags["training_rows"] == "final_states"
    assert tags["split_method"] == "stratified_random"
    assert float(tags["holdout_auc"]) > 0.75
    assert "5,000 leads' final states as of 2025-06-30" in tags["training_window"]


def test_a_final_state_model_never_uses_the_outcome_or_leaked_fields(lead_form) -> None:
    home, _ = lead_form
    factors = published(
        home,
        f"select string_agg(top_factors, ' ') from ml.lead_scores where score_date = '{NIGHT}'",
    )[0][0]
    for column in ("attr_tags", "attr_lead_quality", '"status"', "lead_age_days"):
        assert column not in factors


def test_models_list_reports_the_per_lead_figure_and_the_split(lead_form) -> None:
    home, _ = lead_form
    listed = salespipe(home, "models", "list", "lead_scoring")
    assert listed.returncode == 0, listed.stderr
    text = listed.stdout + listed.stderr
    assert "AUC" in text and "split stratified_random" in text


def test_a_leads_only_night_succeeds_and_says_forecasting_was_skipped(lead_form) -> None:
    home, out = lead_form
    # daily_revenue holds one dense row of zero: there are no won deals to learn from
    assert f"Forecasting skipped: no won revenue on or before {NIGHT}" in out
    assert published(
        home,
        f"select stage, status, detail from monitoring.pipeline_stages where run_date = '{NIGHT}' "
        "order by stage",
    ) == [
        ("lead_scoring", "done", None),
        ("opportunity_scoring", "done", None),  # no open deal: nothing to score
        ("revenue_forecast", "skipped", f"no won revenue on or before {NIGHT}"),
        ("warehouse", "done", None),
    ]
    assert published(
        home, f"select status, message from monitoring.pipeline_runs where run_date = '{NIGHT}'"
    ) == [("success", f"forecasting skipped: no won revenue on or before {NIGHT}")]
    assert not published(
        home,
        "select 1 from information_schema.tables "
        "where table_schema = 'ml' and table_name = 'revenue_forecasts'",
    )


def test_a_dated_funnel_export_trains_time_ordered_on_its_joined_outcomes(funnel) -> None:
    home, _ = funnel
    tags = champion_tags(home)
    assert tags["training_rows"] == "final_states"
    assert tags["split_method"] == "time_ordered"
    converted = published(
        home, "select count(*) from marts.lead_outcomes where converted_at is not null"
    )
    assert converted == [(271,)]
    # the won leads are converted, not open: only the others are scored
    assert published(home, f"select count(*) from ml.lead_scores where score_date = '{NIGHT}'") == [
        (2_229,)
    ]
