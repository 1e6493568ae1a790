"""A team's tracking server: the same code path as the embedded store, with the URI and
the account from the environment, read by settings alone."""

from __future__ import annotations

import mlflow
import pytest

from ml.registry.tracking import configure_mlflow, use_experiment
from ml.settings import load_settings

SERVER = {
    "SALESPIPE_MLFLOW_TRACKING_URI": "http://127.0.0.1:9/",
    "MLFLOW_TRACKING_USERNAME": "salespipe-nightly",
    "MLFLOW_TRACKING_PASSWORD": "s3cret-value-123",
}


def test_without_a_server_the_embedded_store_is_unchanged(tmp_path):
    settings = load_settings(
        {"SALESPIPE_HOME": str(tmp_path), "MLFLOW_TRACKING_USERNAME": "someone-else"}
    )
    assert settings.mlflow_tracking_uri == f"sqlite:///{tmp_path}/mlflow/mlflow.db"
    assert not settings.mlflow_is_remote
    assert settings.mlflow_username is None


def test_a_server_and_its_account_come_from_the_environment(tmp_path):
    settings = load_settings({"SALESPIPE_HOME": str(tmp_path), **SERVER})
    assert settings.mlflow_tracking_uri == "http://127.0.0.1:9"
    assert settings.mlflow_is_remote
    assert settings.mlflow_username == "salespipe-nightly"
    assert "s3cret" not in repr(settings)  # never printed with the settings
    assert settings.as_info()["mlflow_tracking_uri"] == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    "env, message",
    [
        ({"SALESPIPE_MLFLOW_TRACKING_URI": "mlflow.internal:5000"}, "http(s)://"),
        (
            {"SALESPIPE_MLFLOW_TRACKING_URI": "http://x", "MLFLOW_TRACKING_USERNAME": "u"},
            "only one of MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD",
        ),
    ],
)
def test_a_half_configured_server_is_refused_with_a_clear_message(tmp_path, env, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings({"SALESPIPE_HOME": str(tmp_path), **env})


def test_configure_points_mlflow_at_the_server_and_makes_no_local_store(tmp_path, monkeypatch):
    for name in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        monkeypatch.setenv(name, "from-before")  # restored after the test
    settings = load_settings({"SALESPIPE_HOME": str(tmp_path), **SERVER})
    previous = mlflow.get_tracking_uri()
    try:
        configure_mlflow(settings)
        assert mlflow.get_tracking_uri() == "http://127.0.0.1:9"
        assert mlflow.get_registry_uri() == "http://127.0.0.1:9"
        import os

        assert os.environ["MLFLOW_TRACKING_USERNAME"] == "salespipe-nightly"
        assert not (tmp_path / "mlflow").exists()
    finally:
        mlflow.set_tracking_uri(previous)
        mlflow.set_registry_uri(previous)


def test_the_embedded_store_still_gets_its_artifact_folder(tmp_path):
    settings = load_settings({"SALESPIPE_HOME": str(tmp_path)})
    previous = mlflow.get_tracking_uri()
    try:
        experiment_id = use_experiment(settings, "lead_scoring")
        location = mlflow.get_experiment(experiment_id).artifact_location
        assert location == (tmp_path / "mlflow" / "artifacts" / "lead_scoring").as_uri()
    finally:
        mlflow.set_tracking_uri(previous)
        mlflow.set_registry_uri(previous)
