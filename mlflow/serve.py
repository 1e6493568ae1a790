#!/usr/bin/env python3
"""Start salespipe's MLflow tracking server with basic auth, or refuse to.

The same command runs in the ``mlflow`` service of docker-compose.yml and in the native
deployment test. It reads only the environment (see .env.example):

    MLFLOW_BACKEND_STORE_URI      runs and the model registry (PostgreSQL)
    MLFLOW_AUTH_DATABASE_URI      users, roles and permissions (PostgreSQL)
    MLFLOW_ARTIFACTS_DESTINATION  where the server keeps artifacts (a volume)
    MLFLOW_ADMIN_USERNAME         the admin created on first start (default: admin)
    MLFLOW_AUTH_ADMIN_PASSWORD    its password: required, not the example's, 12+ characters
    MLFLOW_FLASK_SERVER_SECRET_KEY  signs the login forms' CSRF tokens: required
    MLFLOW_HOST, MLFLOW_PORT, MLFLOW_WORKERS   where and how wide it listens

It writes the auth configuration from ``basic_auth.ini.template`` (mode 600) into
``MLFLOW_AUTH_CONFIG_DIR`` (default: a private temporary folder), then replaces itself
with ``mlflow server --app-name basic-auth``.
"""

from __future__ import annotations

import os
import string
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Values that must never guard a server: MLflow's old built-in default and ours in .env.example.
KNOWN_DEFAULTS = {"password1234", "password", "admin", "mlflow", "changeme"}
EXAMPLE_PREFIX = "change-me"
MIN_PASSWORD_LENGTH = 12


class RefusedToStart(SystemExit):
    pass


def check_environment(env: dict[str, str]) -> list[str]:
    """Every reason not to start, as sentences (empty: good to go)."""
    problems = []
    password = env.get("MLFLOW_AUTH_ADMIN_PASSWORD", "")
    if not password:
        problems.append("MLFLOW_AUTH_ADMIN_PASSWORD is not set.")
    elif password.lower() in KNOWN_DEFAULTS or password.lower().startswith(EXAMPLE_PREFIX):
        problems.append(
            "MLFLOW_AUTH_ADMIN_PASSWORD is still a default value "
            "(the example's or a well-known one)."
        )
    elif len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            f"MLFLOW_AUTH_ADMIN_PASSWORD has fewer than {MIN_PASSWORD_LENGTH} characters."
        )
    for name in (
        "MLFLOW_FLASK_SERVER_SECRET_KEY",
        "MLFLOW_BACKEND_STORE_URI",
        "MLFLOW_AUTH_DATABASE_URI",
        "MLFLOW_ARTIFACTS_DESTINATION",
    ):
        if not env.get(name):
            problems.append(f"{name} is not set.")
    if env.get("MLFLOW_FLASK_SERVER_SECRET_KEY", "").lower().startswith(EXAMPLE_PREFIX):
        problems.append("MLFLOW_FLASK_SERVER_SECRET_KEY is still the example's value.")
    return problems


def render_auth_config(env: dict[str, str], directory: Path) -> Path:
    """Write basic_auth.ini (mode 600) from the template and return its path."""
    template = string.Template((HERE / "basic_auth.ini.template").read_text())
    text = template.substitute(
        MLFLOW_AUTH_DATABASE_URI=env["MLFLOW_AUTH_DATABASE_URI"],
        MLFLOW_ADMIN_USERNAME=env.get("MLFLOW_ADMIN_USERNAME") or "admin",
    )
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / "basic_auth.ini"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return path


def server_command(env: dict[str, str]) -> list[str]:
    mlflow = str(Path(sys.executable).with_name("mlflow"))
    return [
        mlflow, "server", "--app-name", "basic-auth",
        "--backend-store-uri", env["MLFLOW_BACKEND_STORE_URI"],
        "--artifacts-destination", env["MLFLOW_ARTIFACTS_DESTINATION"],
        "--serve-artifacts",
        "--host", env.get("MLFLOW_HOST") or "127.0.0.1",
        "--port", env.get("MLFLOW_PORT") or "5000",
        "--workers", env.get("MLFLOW_WORKERS") or "1",
    ]  # fmt: skip


def main() -> None:
    env = dict(os.environ)
    problems = check_environment(env)
    if problems:
        raise RefusedToStart(
            "The MLflow tracking server will not start: " + " ".join(problems) + " Set "
            "these in .env (see .env.example and docs/deployment.md, 'First login'); "
            "a server guarded by a default password is an open server."
        )
    directory = Path(env.get("MLFLOW_AUTH_CONFIG_DIR") or tempfile.mkdtemp(prefix="mlflow-auth-"))
    env["MLFLOW_AUTH_CONFIG_PATH"] = str(render_auth_config(env, directory))
    # One job-execution-free worker: ~430 MB instead of ~2 GB (shared/ENVIRONMENT.md).
    env.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
    env.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    env.setdefault("DO_NOT_TRACK", "1")
    command = server_command(env)
    print(f"Starting MLflow with basic auth on {command[command.index('--host') + 1]}:"
          f"{command[command.index('--port') + 1]}", flush=True)  # fmt: skip
    os.execve(command[0], command, env)


if __name__ == "__main__":
    main()
