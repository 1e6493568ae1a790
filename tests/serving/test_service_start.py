"""The service refuses to start without a token, and says how to give one."""

from __future__ import annotations

import pytest

from ml.serving.service import build_app
from ml.settings import load_settings


def test_no_token_configured_stops_the_service_with_the_reason(tmp_path):
    settings = load_settings({"SALESPIPE_HOME": str(tmp_path)})
    with pytest.raises(ValueError) as raised:
        build_app(settings, background=False)
    assert str(raised.value) == (
        "No API token is configured: set SALESPIPE_API_TOKENS (comma-separated) or "
        "serving.tokens in salespipe.yml before starting the scoring API."
    )


def test_tokens_come_from_the_environment_and_the_settings_file(tmp_path):
    from ml.serving.service import api_tokens

    (tmp_path / "salespipe.yml").write_text("serving: {tokens: [from-file], port: 9001}\n")
    settings = load_settings({"SALESPIPE_HOME": str(tmp_path), "SALESPIPE_API_TOKENS": " a, b ,"})
    assert api_tokens(settings, settings.serving()) == ("a", "b", "from-file")
    assert settings.serving().port == 9001 and settings.serving().host == "127.0.0.1"


def test_serve_on_an_install_without_a_model_store_says_where_it_looked(
    tmp_path, monkeypatch, capsys
):
    from ml.cli import main

    home = tmp_path / "home"
    monkeypatch.setenv("SALESPIPE_HOME", str(home))
    monkeypatch.setenv("SALESPIPE_API_TOKENS", "t")
    assert main(["serve", "--port", "18099"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"salespipe serve failed: No MLflow store at {home / 'mlflow' / 'mlflow.db'}, "
        "so there is no model to serve."
    )


def test_serve_binds_to_loopback_by_default(capsys):
    from ml.cli import main

    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "address to bind (default: serving.host in salespipe.yml, else 127.0.0.1)" in help_text
