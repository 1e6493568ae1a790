"""The Airflow UI on this install's state: ``salespipe airflow standalone``.

Airflow's own ``airflow standalone`` looks its components up as ``airflow`` on PATH,
starts a log server on every interface for the scheduler and the triggerer, and on
SIGTERM leaves its children running. This starts the same four components (API server,
scheduler, DAG processor, triggerer) from this virtualenv, every one on 127.0.0.1 and
without the log servers (the API server reads task logs from the local log folder,
where every task of this install writes them), each in its own process group, and on
Ctrl-C (SIGINT) or SIGTERM stops every process of every group.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable

from ml.access import ensure_airflow_password
from ml.airflow_cli import (
    airflow_command,
    airflow_environment,
    migrate_metadata_db,
)
from ml.processes import serve_until_stopped
from ml.settings import Settings

HOST = "127.0.0.1"
ADMIN = "admin"


def components(port: int) -> dict[str, list[str]]:
    """Airflow CLI arguments of each component, bound to loopback, no log servers."""
    return {
        "api-server": ["api-server", "--host", HOST, "--port", str(port), "--workers", "1"],
        "scheduler": ["scheduler", "--skip-serve-logs"],
        "dag-processor": ["dag-processor"],
        "triggerer": ["triggerer", "--skip-serve-logs"],
    }


def run_standalone(settings: Settings, port: int = 8080, say: Callable[[str], None] = print) -> int:
    """Run the four components until SIGINT or SIGTERM (or one of them exits).

    Returns:
        0 after a requested stop, 1 when a component exited on its own.
    """
    migrate_metadata_db(settings)
    password_file = ensure_airflow_password(settings)
    env = airflow_environment(settings)
    env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] = f"http://{HOST}:{port}/execution/"
    announced = False

    def announce_when_ready() -> None:
        nonlocal announced
        if not announced and _healthy(port):
            say(
                f"salespipe | Airflow UI: http://{HOST}:{port}  user {ADMIN}, password in "
                f"{password_file} (Ctrl-C stops it)"
            )
            announced = True

    say(f"salespipe | starting Airflow on http://{HOST}:{port} ...")
    commands = {name: (airflow_command(*args), env) for name, args in components(port).items()}
    return serve_until_stopped(commands, say, on_tick=announce_when_ready)


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/api/v2/monitor/health", timeout=2):
            return True
    except (urllib.error.URLError, OSError):
        return False
