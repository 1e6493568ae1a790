"""Run the Airflow CLI on this install's embedded state (SQLite metadata, no servers).

ml/ never imports airflow; it drives Airflow's own command line, so a nightly run
started by ``salespipe run`` is a real Airflow DAG run, recorded in Airflow's database
and visible in its UI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from ml.access import ensure_airflow_password
from ml.airflow_records import record_dag_test_run
from ml.names import WAREHOUSE_POOL
from ml.settings import (
    FORCE_PUBLISH_VAR,
    HOME_VAR,
    LANDING_VAR,
    RUN_ID_VAR,
    TELEMETRY_OPT_OUTS,
    Settings,
)


class AirflowRunError(Exception):
    """An Airflow command failed; the message carries the end of its output and the log path."""


def airflow_environment(settings: Settings) -> dict[str, str]:
    """Environment for any Airflow process of this install.

    AIRFLOW_HOME is set before Airflow is imported (otherwise it creates ~/airflow),
    examples are off, parallelism fits two cores, and the UI binds to loopback only.
    """
    env = dict(os.environ)
    # Airflow starts its components as `airflow ...` looked up on PATH (standalone does):
    # this venv's bin first, so it works from `.venv/bin/salespipe` without activation.
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, *env.get("PATH", "").split(os.pathsep)]).rstrip(
        os.pathsep
    )
    env.update(
        {
            HOME_VAR: str(settings.home),
            LANDING_VAR: str(settings.landing),
            "AIRFLOW_HOME": str(settings.airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(settings.dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "2",
            "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "2",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": (
                f"sqlite:///{settings.airflow_home / 'airflow.db'}"
            ),
            "AIRFLOW__API__HOST": "127.0.0.1",
            # task logs private like everything under the home (Airflow chmods them 775/664)
            "AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FOLDER_PERMISSIONS": "0o700",
            "AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FILE_PERMISSIONS": "0o600",
            # Tasks reach the API server on loopback (it listens on nothing else).
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": "http://127.0.0.1:8080/execution/",
            # The UI's login: salespipe writes the password there at mode 600, never prints it.
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(
                settings.airflow_password_file
            ),
            **TELEMETRY_OPT_OUTS,
        }
    )
    if settings.force_publish:
        env[FORCE_PUBLISH_VAR] = "1"
    if settings.run_id:
        env[RUN_ID_VAR] = settings.run_id
    return env


def airflow_command(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("airflow")), *args]


def run_airflow(settings: Settings, args: list[str]) -> int:
    """Airflow's own CLI with ``args`` on this install's state; returns its exit code."""
    ensure_airflow_password(settings)  # 600, and Airflow does not print it (ml.access)
    return subprocess.call(airflow_command(*args), env=airflow_environment(settings))


def migrate_metadata_db(settings: Settings) -> None:
    """Create or upgrade Airflow's SQLite database; a no-op when it is current.

    Raises:
        AirflowRunError: the migration failed.
    """
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    ensure_airflow_password(settings)  # made 600 by salespipe, so Airflow never prints one
    marker = settings.airflow_home / ".salespipe-pool"
    commands = [airflow_command("db", "migrate")]
    if not marker.exists():
        # DuckDB takes one writer per file: the tasks that open the working warehouse
        # share one slot, so asset-triggered DAGs queue instead of failing on the lock.
        commands.append(
            airflow_command("pools", "set", WAREHOUSE_POOL, "1", "salespipe working warehouse")
        )
    for command in commands:
        result = subprocess.run(
            command, env=airflow_environment(settings), capture_output=True, text=True
        )
        if result.returncode != 0:
            raise AirflowRunError(f"{' '.join(command[1:3])} failed:\n" + result.stderr[-4000:])
    marker.touch()


def logical_date_for(business_date: date) -> str:
    """The logical date of the run for a business date: the moment that day closed.

    The DAGs' data interval is the business day, ``[D, D+1)``, and Airflow 3 stamps a
    data-interval run with the interval's end.
    """
    return f"{(business_date + timedelta(days=1)).isoformat()}T00:00:00+00:00"


def run_dag_for_date(
    settings: Settings,
    dag_id: str,
    business_date: date,
    *,
    log_file: Path,
    progress: Callable[[str], None] | None = None,
    conf: dict | None = None,
    pass_fds: tuple[int, ...] = (),
) -> None:
    """Run one DAG for a business date through ``airflow dags test``, logging to ``log_file``.

    ``pass_fds`` are handed to the Airflow process (the run lock, so that it holds the
    install for as long as it runs).

    Raises:
        AirflowRunError: the DAG run failed (after its retries).
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    tail: deque[str] = deque(maxlen=30)
    command = airflow_command("dags", "test", dag_id, logical_date_for(business_date))
    if conf:
        command += ["--conf", json.dumps(conf)]
    with (
        log_file.open("w") as log,
        subprocess.Popen(
            command,
            env=airflow_environment(settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            pass_fds=pass_fds,
        ) as process,
    ):
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            tail.append(line.rstrip())
            if progress and _is_progress_line(line):
                progress(line.rstrip())
    # Task logs where the UI reads them, and the run's real start (ml/airflow_records.py),
    # for a failed run too: that is when its logs matter most.
    record_dag_test_run(settings, dag_id, log_file)
    if process.returncode != 0:
        raise AirflowRunError(
            f"DAG {dag_id} failed for {business_date} (exit {process.returncode}). "
            f"Full log: {log_file}\n" + "\n".join(tail)
        )


def _is_progress_line(line: str) -> bool:
    """Task starts and ends, and salespipe's own progress lines, out of Airflow's chatter."""
    return any(
        marker in line
        for marker in ("new_state=", "[ml.", "DagRun Finished", "Task failed", "ERROR", "Error")
    )


def task_states(settings: Settings, dag_id: str, business_date: date) -> dict[str, str]:
    """Task id -> state of ``dag_id``'s run for ``business_date``, from Airflow's own CLI
    (``airflow tasks states-for-dag-run``, which reads the metadata database itself and
    so needs no API server: ``airflow dags test`` runs without one).

    Raises:
        AirflowRunError: Airflow has no such run, or the command failed.
    """
    command = airflow_command(
        "tasks", "states-for-dag-run", dag_id, logical_date_for(business_date), "-o", "json"
    )
    result = subprocess.run(
        command, env=airflow_environment(settings), capture_output=True, text=True
    )
    if result.returncode != 0:
        raise AirflowRunError(
            f"tasks states-for-dag-run {dag_id} failed:\n" + result.stderr[-4000:]
        )
    # The JSON list comes last (pretty-printed); Airflow may log warnings before it.
    lines = result.stdout.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("[")]
    rows = json.loads("\n".join(lines[starts[-1] :])) if starts else []
    return {row["task_id"]: row["state"] for row in rows}
