"""The MLflow UI on this install's store, behind MLflow's own basic-auth login.

``salespipe models ui`` runs ``mlflow server`` with MLflow's basic-auth app (opening in
the classic machine-learning view, ``ml.registry.ui_app``) on 127.0.0.1 with one worker,
on the install's SQLite store. The login's users live in their own SQLite
file next to the store; the ``admin`` password and the server's session key are made
on first use under ``$SALESPIPE_HOME/secrets/`` (mode 600) and reach the server only
through its environment: they are never printed. Nightly tasks never go through this
server: they open the SQLite store directly (``ml.registry.tracking``).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from ml.settings import TELEMETRY_OPT_OUTS, Settings

ADMIN = "admin"
HOST = "127.0.0.1"


def admin_password_file(settings: Settings) -> Path:
    """The MLflow UI's ``admin`` password (one line)."""
    return settings.home / "secrets" / "mlflow_admin_password"


def _session_key_file(settings: Settings) -> Path:
    return settings.home / "secrets" / "mlflow_flask_secret_key"


def auth_config_file(settings: Settings) -> Path:
    return settings.home / "mlflow" / "basic_auth.ini"


def ensure_secret(path: Path) -> str:
    """The secret kept in ``path``, made (random, mode 600) when the file is missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(24) + "\n")
    return path.read_text().strip()


def ui_server(settings: Settings, port: int) -> tuple[list[str], dict[str, str]]:
    """The command and environment of the UI server for this install.

    Writes the auth configuration (users in ``<home>/mlflow/basic_auth.db``) and makes
    the secrets on first use.
    """
    config = auth_config_file(settings)
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        "[mlflow]\n"
        "default_permission = READ\n"
        f"database_uri = sqlite:///{settings.home / 'mlflow' / 'basic_auth.db'}\n"
        f"admin_username = {ADMIN}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
    )
    env = dict(os.environ)
    env.update(
        {
            "MLFLOW_AUTH_CONFIG_PATH": str(config),
            # Used only when the admin user is created (the first start); later starts
            # keep the stored user, so changing the file later does not change the login.
            "MLFLOW_AUTH_ADMIN_PASSWORD": ensure_secret(admin_password_file(settings)),
            "MLFLOW_FLASK_SERVER_SECRET_KEY": ensure_secret(_session_key_file(settings)),
            # Two processes instead of fifteen: no job runner (ENVIRONMENT.md).
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
            **TELEMETRY_OPT_OUTS,
        }
    )
    command = [
        str(Path(sys.executable).with_name("mlflow")), "server",
        "--app-name", "salespipe",  # basic-auth + classic view (ui_app)
        "--backend-store-uri", settings.mlflow_tracking_uri,
        "--default-artifact-root", settings.mlflow_artifacts.as_uri(),
        "--host", HOST, "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    return command, env
