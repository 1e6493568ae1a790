"""``salespipe models`` knows the deal model (ml.names.OPPORTUNITY_SCORING): its versions
with their holdout figures against the stage win rates; promote and rollback take its
name; ``train`` refuses it (it trains in its nightly run when due)."""

from __future__ import annotations

import logging

import duckdb
import pytest

from ml.cli import main
from ml.settings import load_settings

DEAL_TAGS = {
    "holdout_auc": "0.7450",
    "holdout_stage_rate_auc": "0.6760",
    "holdout_ece": "0.1036",
    "estimator": "logistic_regression",
    "training_window": "deals created before 2025-12-30 minus 120 days, closed by 2025-12-30",
    "gate_decision": "failed calibration",
}


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("SALESPIPE_HOME", str(home))
    monkeypatch.delenv("SALESPIPE_MLFLOW_TRACKING_URI", raising=False)
    return home


def register_deal_versions(home) -> None:
    """Two versions of opportunity_scoring in the install's own MLflow store: v1 champion,
    v2 challenger (as a training registers and the gate leaves them)."""
    import mlflow

    from ml.registry.tracking import configure_mlflow

    configure_mlflow(load_settings({"SALESPIPE_HOME": str(home)}))
    client = mlflow.MlflowClient()
    client.create_registered_model("opportunity_scoring")
    for version, alias in (("1", "champion"), ("2", "challenger")):
        source = home / "artifacts" / version
        source.mkdir(parents=True)
        client.create_model_version("opportunity_scoring", str(source), tags=DEAL_TAGS)
        client.set_registered_model_alias("opportunity_scoring", alias, version)


def test_models_list_shows_the_deal_versions_against_the_stage_rates(home, caplog):
    register_deal_versions(home)
    caplog.set_level(logging.INFO, logger="salespipe")

    assert main(["models", "list", "opportunity_scoring"]) == 0

    window = DEAL_TAGS["training_window"]
    assert [r.getMessage() for r in caplog.records if r.name == "salespipe"] == [
        "opportunity_scoring v2    challenger             AUC 0.7450 (stage win rates 0.6760)  "
        f"ECE 0.1036  estimator logistic_regression  {window}  | failed calibration",
        "opportunity_scoring v1    champion               AUC 0.7450 (stage win rates 0.6760)  "
        f"ECE 0.1036  estimator logistic_regression  {window}  | failed calibration",
    ]


def test_rollback_of_the_deal_model_without_a_store_says_so(home, capsys):
    assert main(["models", "rollback", "opportunity_scoring"]) == 1

    assert capsys.readouterr().err.startswith(
        f"salespipe models failed: No MLflow store at {home}/mlflow/mlflow.db, so there is no "
        "champion to roll back."
    )


def test_promote_of_a_deal_version_that_does_not_exist_names_it(home, capsys):
    register_deal_versions(home)
    (home / "warehouse" / "work").mkdir(parents=True)
    duckdb.connect(str(home / "warehouse" / "work" / "salespipe_work.duckdb")).close()
    capsys.readouterr()  # MLflow's own log lines from creating the store

    argv = ["models", "promote", "opportunity_scoring", "--version", "7", "--reason", "x"]
    assert main(argv) == 1

    assert capsys.readouterr().err == (
        "salespipe models failed: opportunity_scoring has no version 7.\n"
    )


def test_train_refuses_the_deal_model_it_has_no_on_demand_dag_for(home, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["models", "train", "opportunity_scoring", "--date", "2025-12-30"])

    assert exited.value.code == 2
    assert (
        "argument use_case: invalid choice: 'opportunity_scoring' (choose from "
        "'lead_scoring', 'revenue_forecast')" in capsys.readouterr().err
    )
