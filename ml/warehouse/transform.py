"""Transform: run ``dbt build`` on the working warehouse, in its own process.

dbt runs as a subprocess rather than through ``dbtRunner`` in-process: after dbt has
run in a process, DuckDB refuses to open the same file read-only in that process, and
``airflow dags test`` runs every task in one process (../shared/ENVIRONMENT.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from datetime import date
from pathlib import Path

from ml.contract import final_state_tables
from ml.settings import TELEMETRY_OPT_OUTS, Settings


class DbtBuildError(Exception):
    """``dbt build`` failed; the message carries the end of dbt's output."""


def dbt_command(settings: Settings, *args: str) -> list[str]:
    """The dbt command line for this install: the project, profiles, and state under home."""
    dbt = Path(sys.executable).with_name("dbt")
    return [
        str(dbt),
        *args,
        "--project-dir",
        str(settings.dbt_project_dir),
        "--profiles-dir",
        str(settings.dbt_project_dir),
        "--target-path",
        str(settings.dbt_state / "target"),
        "--log-path",
        str(settings.dbt_state / "logs"),
    ]


def dbt_environment(settings: Settings) -> dict[str, str]:
    """The environment dbt's profile reads: which file to build and the personal-data key."""
    env = dict(os.environ)
    env.update(
        SALESPIPE_WAREHOUSE_PATH=str(settings.work_warehouse),
        SALESPIPE_PII_KEY=settings.pii_key(),
        SALESPIPE_DBT_THREADS=str(settings.dbt_threads),
        SALESPIPE_DUCKDB_MEMORY_LIMIT=settings.duckdb_memory_limit,
    )
    env.update(TELEMETRY_OPT_OUTS)
    return env


def run_dbt_build(
    settings: Settings,
    business_date: date,
    *,
    select: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Run ``dbt build`` (models, snapshots, data tests and unit tests) for a business date.

    Raises:
        DbtBuildError: dbt exited non-zero; the last 40 lines of its output are included.
    """
    settings.work_warehouse.parent.mkdir(parents=True, exist_ok=True)
    args = [
        "build",
        "--no-use-colors",
        "--vars",
        json.dumps(
            {
                "business_date": business_date.isoformat(),
                # an export of outcomes also gets lead_final_states (docs/mapping.md)
                "final_state_leads": "leads" in final_state_tables(settings.landing),
            }
        ),
    ]
    if select:
        args += ["--select", select]
    tail: deque[str] = deque(maxlen=40)
    with subprocess.Popen(
        dbt_command(settings, *args),
        env=dbt_environment(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            line = line.rstrip()
            tail.append(line)
            # One line per finished node is progress enough; "START" lines only double it.
            if progress and line and " START " not in line:
                progress(line)
    if process.returncode != 0:
        raise DbtBuildError(
            f"dbt build for {business_date} failed (exit {process.returncode}):\n" + "\n".join(tail)
        )
