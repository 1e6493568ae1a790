"""The local Airflow UI's supervisor: its environment, its components, and stopping."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import psutil

from ml.access import ensure_airflow_password
from ml.airflow_cli import airflow_environment
from ml.airflow_local import components
from ml.processes import stop_process_groups
from ml.settings import load_settings


def test_airflow_finds_its_own_command_without_an_activated_venv(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    settings = load_settings({"SALESPIPE_HOME": str(tmp_path / "home")})

    env = airflow_environment(settings)

    assert env["PATH"].split(":") == [str(Path(sys.executable).parent), "/usr/bin", "/bin"]
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"


def test_every_component_binds_loopback_and_starts_no_log_server():
    parts = components(8123)

    assert parts["api-server"][:5] == ["api-server", "--host", "127.0.0.1", "--port", "8123"]
    assert "--skip-serve-logs" in parts["scheduler"]
    assert "--skip-serve-logs" in parts["triggerer"]
    assert set(parts) == {"api-server", "scheduler", "dag-processor", "triggerer"}


def test_the_admin_password_is_made_once_at_mode_600(tmp_path):
    settings = load_settings({"SALESPIPE_HOME": str(tmp_path / "home")})

    path = ensure_airflow_password(settings)
    first = json.loads(path.read_text())["admin"]

    assert path == tmp_path / "home" / "secrets" / "airflow_passwords.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(first) >= 20
    assert json.loads(ensure_airflow_password(settings).read_text())["admin"] == first


def test_stopping_ends_children_that_ignore_sigterm_and_outlive_their_parent():
    # A component whose worker ignores SIGTERM, as a scheduler's executor worker may.
    process = subprocess.Popen(
        ["sh", "-c", "trap '' TERM; sleep 300 & sleep 300 & wait"], start_new_session=True
    )
    deadline = time.monotonic() + 10
    while len(psutil.Process(process.pid).children()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    children = psutil.Process(process.pid).children()
    assert len(children) == 2

    started = time.monotonic()
    stop_process_groups([process], timeout=1.0)

    assert time.monotonic() - started < 10
    gone, alive = psutil.wait_procs(children, timeout=5)
    assert alive == []
