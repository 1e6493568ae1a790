"""End to end: quiet nights raise no alert; a drifted night raises one and starts the
retraining DAG through Airflow, whose model then faces the usual promotion gate; the
next drifted night stays within the cooldown and starts nothing."""

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
QUIET, DRIFTED, NEXT_DRIFTED = "2024-08-25", "2024-10-22", "2024-10-26"
# Small data: scaled-down minimums; no weekly retraining, so only drift can retrain; the
# share of drifted features is set for this data (the generator's drift moves source,
# company size and seats, about a quarter of the 21 features).
CONFIG = """\
lead_scoring:
  min_mature_leads: 500
  min_converted_leads: 60
  retrain_every_days: 365
  xgboost: {n_estimators: 80}
drift:
  share_drifted_features: 0.2
  cooldown_days: 7
forecasting: {use_lstm: false}  # not under test here; keeps three nights short
"""


def salespipe(home: Path, *args: str) -> str:
    env = {**os.environ, "SALESPIPE_HOME": str(home)}
    env.pop("SALESPIPE_LANDING", None)
    result = subprocess.run(
        [SALESPIPE, *args], env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    home = tmp_path_factory.mktemp("drift") / "home"
    home.mkdir()
    (home / "salespipe.yml").write_text(CONFIG)
    salespipe(home, "generate", "--out", str(home / "landing"), "--leads", "4000",
              "--days", "300", "--drift-from", "2024-09-01")  # fmt: skip
    return home, {
        day: salespipe(home, "run", "--date", day) for day in (QUIET, DRIFTED, NEXT_DRIFTED)
    }


def rows(home: Path, sql: str):
    with duckdb.connect(str(home / "warehouse" / "salespipe.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def retraining_runs(home: Path):
    with sqlite3.connect(home / "airflow" / "airflow.db") as db:
        return db.execute(
            "select state, conf from dag_run where dag_id = 'on_demand_lead_model_training'"
        ).fetchall()


def test_a_quiet_night_raises_no_alert(nights):
    home, _ = nights
    quiet = rows(home, f"select share_drifted, alerts, retraining_requested from "
                       f"monitoring.drift_runs where run_date = '{QUIET}'")  # fmt: skip
    assert quiet[0][0] < 0.2 and quiet[0][1:] == (None, False)


def test_a_drifted_night_alerts_and_retrains_through_airflow(nights):
    home, out = nights
    drifted = rows(home, f"select share_drifted, alerts, retraining_requested, report_path "
                         f"from monitoring.drift_runs where run_date = '{DRIFTED}'")[0]  # fmt: skip
    share, alerts, requested, report = drifted
    assert share >= 0.2 and requested
    assert alerts.startswith("data drift: ")
    assert Path(report).is_file() and Path(report).name == f"drift_lead_scoring_{DRIFTED}.html"
    assert "on_demand_lead_model_training was requested by tonight's run" in out[DRIFTED]
    assert f"Report: {report}" in out[DRIFTED] and "retraining requested." in out[DRIFTED]
    drifted_features = {
        f
        for (f,) in rows(
            home, f"select feature from monitoring.drift where run_date = '{DRIFTED}' and drifted"
        )
    }  # noqa: E501
    assert {"employees", "attr_seats_requested"} <= drifted_features
    runs = retraining_runs(home)
    assert len(runs) == 1 and runs[0][0] == "success"


def test_the_retrained_model_faces_the_promotion_gate(nights):
    home, _ = nights
    moves = rows(home, "select run_date, alias, action, to_version, moved_by, reason from "
                       "monitoring.model_promotions order by moved_at")  # fmt: skip
    by_drift = [m for m in moves if m[4] == "training (drift)"]
    assert [m[1:4] for m in by_drift] == [("challenger", "challenger", "2")]
    after = [m for m in moves if m[1] == "champion" and m[3] == "2"]
    assert after == [] or after[0][4] == "promotion gate (drift)"  # promoted only by the gate


def test_after_retraining_the_new_champion_is_measured_against_its_own_population(nights):
    home, out = nights
    # The drift retraining promoted v2; its reference is the population it was trained to
    # score (the drifted open leads of DRIFTED), so four days later nothing has drifted,
    # and nothing retrains again. (The cooldown that holds back an alert within 7 days
    # is unit-tested in tests/unit/drift/test_drift_trigger.py.)
    after = rows(
        home,
        "select model_version, drifted_features, alerts, retraining_requested "
        f"from monitoring.drift_runs where run_date = '{NEXT_DRIFTED}'",
    )[0]
    assert after == ("2", 0, None, False)
    assert "was requested by tonight's run" not in out[NEXT_DRIFTED]
    assert len(retraining_runs(home)) == 1


def test_earlier_forecasts_are_scored_on_the_periods_since_completed(nights):
    home, _ = nights
    scored = rows(
        home,
        "select count(*), count(mase), min(periods), max(evaluated_on) "
        f"from monitoring.forecast_performance where forecast_date = '{QUIET}'",
    )[0]
    assert scored[0] > 0 and scored[1] > 0 and scored[2] >= 1
    assert str(scored[3]) == NEXT_DRIFTED  # re-scored each night as more periods complete


def test_mlflow_holds_the_forecast_backtest_table_and_plots(nights):
    home, _ = nights
    uri = f"sqlite:///{home / 'mlflow' / 'mlflow.db'}"
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.get_experiment_by_name("revenue_forecast")
    run = client.search_runs([experiment.experiment_id], "tags.salespipe_kind = 'training'")[0]
    artifacts = {a.path for folder in ("backtest", "plots")
                 for a in client.list_artifacts(run.info.run_id, folder)}  # fmt: skip
    assert {
        "backtest/backtest_table.csv",
        "plots/total_week.png",
        "plots/total_month.png",
    } <= artifacts
    assert client.get_registered_model("revenue_forecast").aliases  # challenger at least
