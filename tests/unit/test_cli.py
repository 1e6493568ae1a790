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


def test_mapping_is_refused_until_it_is_supported(tmp_path, capsys):
    (tmp_path / "landing").mkdir()
    assert main(["ingest", "--landing", str(tmp_path / "landing"), "--mapping", "m.yml"]) == 2

    assert "--mapping is not available in this version yet" in capsys.readouterr().err


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
