"""Task logs and run start dates that `airflow dags test` leaves out, filed after the run."""

from __future__ import annotations

import json
import sqlite3

from ml.airflow_records import record_dag_test_run, split_task_output
from ml.settings import load_settings

OUTPUT = """\
2026-12-02T05:47:13.000000Z [info     ] Created dag run. [airflow.models.dagrun]
2026-12-02T05:47:14.512095Z [info     ] [DAG TEST] starting task_id=ingest map_index=-1 [airflow]
2026-12-02T05:47:33.308770Z [info     ] raw.leads: 1,500 rows [ml.warehouse.ingest]
  a continuation line
2026-12-02T05:47:41.262772Z [info     ] [DAG TEST] end task task_id=ingest map_index=-1 [airflow]
2026-12-02T05:47:41.278201Z [info     ] [DAG TEST] starting task_id=check map_index=-1 [airflow]
2026-12-02T05:47:42.000000Z [error    ] Task failed [airflow]
2026-12-02T05:47:43.000000Z [info     ] [DAG TEST] end task task_id=check map_index=-1 [airflow]
2026-12-02T05:47:44.000000Z [info     ] [DAG TEST] starting task_id=check map_index=-1 [airflow]
2026-12-02T05:47:45.000000Z [info     ] checks passed [ml.quality.steps]
2026-12-02T05:47:46.000000Z [info     ] [DAG TEST] end task task_id=check map_index=-1 [airflow]
2026-12-02T05:47:47.000000Z [info     ] DagRun Finished [airflow]
"""


def test_the_output_is_split_per_task_and_attempt(tmp_path):
    output = tmp_path / "out.log"
    output.write_text(OUTPUT)

    segments = split_task_output(output)

    assert list(segments) == [("ingest", -1, 1), ("check", -1, 1), ("check", -1, 2)]
    assert segments[("ingest", -1, 1)][2] == "  a continuation line"
    assert "checks passed" in segments[("check", -1, 2)][1]
    assert all("DagRun Finished" not in line for lines in segments.values() for line in lines)


def test_task_logs_land_where_the_ui_reads_them_and_the_start_date_is_real(tmp_path):
    settings = load_settings({"SALESPIPE_HOME": str(tmp_path / "home")})
    settings.airflow_home.mkdir(parents=True)
    run_id = "manual__2026-12-02T05:47:13.843788+00:00"
    with sqlite3.connect(settings.airflow_home / "airflow.db") as db:
        db.execute(
            "create table dag_run (id integer primary key, dag_id text, run_id text, "
            "logical_date text, start_date text, run_after text)"
        )
        db.execute(  # as `airflow dags test` leaves it: started at the logical date
            "insert into dag_run values (1, 'nightly_x', ?, '2024-07-19 00:00:00.000000', "
            "'2024-07-19 00:00:00.000000', '2026-12-02 05:47:13.843788')",
            [run_id],
        )
    output = tmp_path / "out.log"
    output.write_text(OUTPUT)

    folder = record_dag_test_run(settings, "nightly_x", output)

    assert folder == settings.airflow_home / "logs" / "dag_id=nightly_x" / f"run_id={run_id}"
    lines = (folder / "task_id=ingest" / "attempt=1.log").read_text().splitlines()
    assert json.loads(lines[1]) == {
        "timestamp": "2026-12-02T05:47:33.308770Z",
        "level": "info",
        "event": "raw.leads: 1,500 rows [ml.warehouse.ingest]",
    }
    assert json.loads(lines[2]) == {"event": "  a continuation line"}
    assert "Task failed" in (folder / "task_id=check" / "attempt=1.log").read_text()
    assert "checks passed" in (folder / "task_id=check" / "attempt=2.log").read_text()
    with sqlite3.connect(settings.airflow_home / "airflow.db") as db:
        assert db.execute("select start_date from dag_run").fetchone() == (
            "2026-12-02 05:47:13.843788",
        )
