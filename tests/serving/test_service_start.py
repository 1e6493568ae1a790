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


def test_the_printed_api_hint_reads_the_token_from_a_600_file_and_never_shows_it(night, tmp_path):
    import shutil
    import stat
    import subprocess

    from lead_requests import BUSINESS_DATE

    from ml.serving.examples import api_hint

    work = tmp_path / "home" / "warehouse" / "work"
    work.mkdir(parents=True)
    shutil.copy(night.home / "warehouse" / "work" / "salespipe_work.duckdb", work)
    settings = load_settings({"SALESPIPE_HOME": str(tmp_path / "home")})
    lines = api_hint(settings, BUSINESS_DATE)
    token = settings.api_token_file.read_text().strip()
    assert len(token) >= 24 and stat.S_IMODE(settings.api_token_file.stat().st_mode) == 0o600
    assert token not in "\n".join(lines)
    assert api_hint(settings, BUSINESS_DATE) == lines  # the same file, the same token
    # the lines as a shell runs them: the token comes from the file
    serve = lines[0].removeprefix("Scoring API:").strip()
    shown = subprocess.run(["bash", "-c", f"echo {serve} {lines[2].strip()}"],
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert f"SALESPIPE_API_TOKENS={token} salespipe serve" in shown
    assert f"-H Authorization: Bearer {token} -H" in shown
