"""The salespipe command on bad input: one readable paragraph, a non-zero exit, nothing written."""

from __future__ import annotations

import json

import pytest

from ml.cli import main


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESPIPE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SALESPIPE_LANDING", raising=False)
    return tmp_path / "home"


def test_info_json_names_every_path_outside_tools_rely_on(home, capsys):
    assert main(["info", "--json"]) == 0

    info = json.loads(capsys.readouterr().out)
    assert {"home", "warehouse", "mlflow_tracking_uri", "airflow_home", "reports"} <= set(info)
    assert info["home"] == str(home)
    assert info["warehouse"] == str(home / "warehouse" / "salespipe.duckdb")
    assert info["mlflow_tracking_uri"] == f"sqlite:///{home}/mlflow/mlflow.db"


def test_impossible_date_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--date", "2024-02-30"])

    assert exit_info.value.code == 2
    assert "'2024-02-30' is not a date in YYYY-MM-DD form" in capsys.readouterr().err


def test_run_without_a_landing_zone_says_how_to_make_one(home, capsys):
    assert main(["run", "--date", "2024-03-01"]) == 2

    err = capsys.readouterr().err
    assert f"No landing folder at {home / 'landing'}" in err
    assert "salespipe generate" in err
    assert not (home / "airflow").exists()


def test_ingest_of_a_missing_folder_fails_with_its_name(tmp_path, home, capsys):
    assert main(["ingest", "--landing", str(tmp_path / "nowhere")]) == 1

    assert capsys.readouterr().err.strip() == (
        f"salespipe ingest failed: Landing folder {tmp_path / 'nowhere'} does not exist."
    )


def test_a_bad_mapping_names_every_problem_and_loads_nothing(tmp_path, home, capsys):
    export = tmp_path / "export"
    export.mkdir()
    (export / "deals.csv").write_text("deal,stage\n1,Won\n")
    mapping = tmp_path / "m.yml"
    mapping.write_text(
        "delivery_date: 2017-12-31\n"
        "tables:\n  opportunities:\n    files: [deals.csv]\n    columns:\n"
        "      opportunity_id: deal\n      stage: phase\n"
    )

    assert main(["ingest", "--landing", str(export), "--mapping", str(mapping)]) == 1

    err = capsys.readouterr().err
    assert err.startswith(
        "salespipe ingest failed: m.yml: tables.opportunities.columns: "
        "required contract column 'account_id' is not mapped"
    )
    assert (
        "m.yml: tables.opportunities.columns.stage: column 'phase' is not in the header "
        "of deals.csv (its columns: deal, stage)"
    ) in err
    assert not home.exists()


def test_generate_refuses_a_non_positive_lead_count(tmp_path, capsys):
    assert main(["generate", "--out", str(tmp_path / "landing"), "--leads", "0"]) == 1

    assert capsys.readouterr().err.startswith("salespipe generate failed: leads must be")
    assert not (tmp_path / "landing").exists()


def test_bad_thread_setting_is_reported(monkeypatch, capsys):
    monkeypatch.setenv("SALESPIPE_DBT_THREADS", "many")

    assert main(["info"]) == 1
    assert "SALESPIPE_DBT_THREADS must be a positive whole number, got 'many'" in (
        capsys.readouterr().err
    )


def test_drift_outside_the_generated_days_is_refused_and_nothing_written(tmp_path, capsys):
    out = tmp_path / "landing"
    argv = ["generate", "--out", str(out), "--leads", "100", "--days", "10"]
    assert main([*argv, "--drift-from", "2024-01-20"]) == 1
    assert capsys.readouterr().err == (
        "salespipe generate failed: drift_from must be a date between start (2024-01-01) and "
        "the last day (2024-01-10), got 2024-01-20.\n"
    )
    assert not out.exists()


def test_a_broken_settings_file_stops_with_file_section_and_key(home, capsys):
    home.mkdir(parents=True)
    (home / "salespipe.yml").write_text("lead_scoring:\n  label_windw_days: 30\n")
    assert main(["models", "list", "lead_scoring"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"salespipe models failed: {home}/salespipe.yml: lead_scoring: unknown key(s) "
        "label_windw_days; known: "
    )
