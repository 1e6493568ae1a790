"""Settings: one home for all state, and a personal-data key that is made once and kept private."""

from __future__ import annotations

import stat

from ml.settings import load_settings


def test_everything_lives_under_one_home(tmp_path):
    settings = load_settings({"SALESPIPE_HOME": str(tmp_path)})

    for path in (
        settings.warehouse,
        settings.work_warehouse,
        settings.airflow_home,
        settings.reports,
        settings.landing,
        settings.dbt_state,
    ):
        assert path.is_relative_to(tmp_path)
    assert settings.mlflow_tracking_uri == f"sqlite:///{tmp_path}/mlflow/mlflow.db"


def test_default_home_is_dot_salespipe_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    assert load_settings({}).home == tmp_path / ".salespipe"


def test_pii_key_is_created_once_private_and_stable(tmp_path):
    settings = load_settings({"SALESPIPE_HOME": str(tmp_path)})

    first = settings.pii_key()

    assert len(first) == 64
    assert stat.S_IMODE(settings.pii_key_file.stat().st_mode) == 0o600
    assert load_settings({"SALESPIPE_HOME": str(tmp_path)}).pii_key() == first
    other_install = load_settings({"SALESPIPE_HOME": str(tmp_path / "other")})
    assert other_install.pii_key() != first


def test_pii_key_from_the_environment_wins(tmp_path):
    settings = load_settings({"SALESPIPE_HOME": str(tmp_path), "SALESPIPE_PII_KEY": "k"})

    assert settings.pii_key() == "k"
    assert not settings.pii_key_file.exists()
