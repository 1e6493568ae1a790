"""What ``airflow dags test`` leaves out of Airflow's records, put back after each run.

``salespipe run`` runs the DAGs with ``airflow dags test``: every task runs inside that one
process and logs to its output, so no task log file is written, and the Airflow UI's Logs
tab says "Log file not found on worker". ``dags test`` also stamps the run's
``start_date`` with the logical date (the business day's end), so a run made today for a
date last year shows a duration of a year. After each run, this files every task's part
of the output where the UI reads task logs (``<AIRFLOW_HOME>/logs/dag_id=…/run_id=…/
task_id=…/attempt=N.log``, Airflow's default ``log_filename_template``) and sets the
run's ``start_date`` to when it was really started (its ``run_after``).

Only the embedded SQLite metadata database of this install is touched, and only the
rows of the run just made.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from ml.settings import Settings

_START = re.compile(r"\[DAG TEST\] starting task_id=(\S+) map_index=(-?\d+)")
_END = re.compile(r"\[DAG TEST\] end task task_id=(\S+) map_index=(-?\d+)")
_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT[\d:.]+Z) \[(\w+)\s*\] (.*)$")


def record_dag_test_run(settings: Settings, dag_id: str, output: Path) -> Path | None:
    """File the task logs of the latest ``dag_id`` run from ``output`` and correct its
    start date. Returns the run's log folder (None when Airflow recorded no run).
    """
    db_path = settings.airflow_home / "airflow.db"
    if not db_path.exists():
        return None
    with sqlite3.connect(db_path) as db:
        row = db.execute(
            "select id, run_id from dag_run where dag_id = ? order by id desc limit 1", [dag_id]
        ).fetchone()
        if row is None:
            return None
        run_pk, run_id = row
        # dags test set start_date to the logical date; run_after is when it was started.
        db.execute(
            "update dag_run set start_date = run_after "
            "where id = ? and start_date = logical_date and run_after is not null",
            [run_pk],
        )
    run_folder = settings.airflow_home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}"
    for (task_id, map_index, attempt), lines in split_task_output(output).items():
        folder = run_folder / f"task_id={task_id}"
        if map_index >= 0:
            folder = folder / f"map_index={map_index}"
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / f"attempt={attempt}.log").open("w") as handle:
            handle.writelines(json.dumps(structured(line)) + "\n" for line in lines)
    return run_folder


def split_task_output(output: Path) -> dict[tuple[str, int, int], list[str]]:
    """(task id, map index, attempt) -> that attempt's lines of a ``dags test`` output.

    ``dags test`` runs one task at a time, between its "[DAG TEST] starting" and "end task"
    lines; a task that is retried appears again, as its next attempt.
    """
    segments: dict[tuple[str, int, int], list[str]] = {}
    attempts: dict[tuple[str, int], int] = {}
    current: list[str] | None = None
    for line in output.read_text(errors="replace").splitlines():
        if match := _START.search(line):
            task = (match.group(1), int(match.group(2)))
            attempts[task] = attempts.get(task, 0) + 1
            current = segments.setdefault((*task, attempts[task]), [])
        if current is not None:
            current.append(line)
        if _END.search(line):
            current = None
    return segments


def structured(line: str) -> dict[str, str]:
    """One output line as the JSON a task log line is in Airflow 3 (timestamp, level,
    event), so the UI shows its time and level."""
    match = _LINE.match(line)
    if match is None:
        return {"event": line}
    timestamp, level, event = match.groups()
    return {"timestamp": timestamp, "level": level, "event": event.rstrip()}
