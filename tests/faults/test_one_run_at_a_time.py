"""One run at a time per install, a guard against nights far short of the last one, and a
date without deliveries said at once."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from ml.airflow_cli import airflow_environment
from ml.run_lock import RunLockedError, hold_run_lock
from ml.settings import load_settings
from ml.warehouse import runs as monitoring
from ml.warehouse.guard import PublishGuardError
from ml.warehouse.publish import manifest_path
from ml.warehouse.steps import NoDeliveriesError, ingest_deliveries, publish_for_readers

SALESPIPE = str(Path(sys.executable).with_name("salespipe"))
HOLD = (
    "import sys, time, datetime\n"
    "from ml.run_lock import hold_run_lock\n"
    "from ml.settings import load_settings\n"
    "with hold_run_lock(load_settings(), datetime.date(2025, 4, 20), 'run-A'):\n"
    "    print('held', flush=True)\n"
    "    time.sleep(300)\n"
)


def settings_for(home: Path):
    return load_settings({"SALESPIPE_HOME": str(home)})


def test_a_second_run_is_refused_with_the_holder_and_a_killed_holder_releases_it(tmp_path, caplog):
    env = {**os.environ, "SALESPIPE_HOME": str(tmp_path)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout and holder.stdout.readline().strip() == "held"
        with pytest.raises(RunLockedError) as refused:
            with hold_run_lock(settings_for(tmp_path), date(2025, 4, 21), "run-B"):
                pass
        message = str(refused.value)
        assert message.startswith(f"Another salespipe run holds this install ({tmp_path}): ")
        assert f"run run-A for business date 2025-04-20, started by pid {holder.pid} at " in message
        assert "logs/runs/run-A" in message
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()

    caplog.set_level(logging.WARNING, logger="ml.run_lock")
    with hold_run_lock(settings_for(tmp_path), date(2025, 4, 21), "run-C") as lock:
        assert json.loads((tmp_path / "run.lock").read_text())["run_id"] == "run-C"
        assert lock.log_dir == tmp_path / "logs" / "runs" / "run-C"
    assert f"released the stale run lock of run run-A (pid {holder.pid}" in caplog.text


def test_two_salespipe_runs_at_once_the_second_says_who_holds_the_install(tmp_path):
    home = tmp_path / "home"
    (home / "landing" / "leads" / "2025-04-20").mkdir(parents=True)
    env = {**os.environ, "SALESPIPE_HOME": str(home)}
    env.pop("SALESPIPE_LANDING", None)
    first = subprocess.Popen(
        [SALESPIPE, "run", "--date", "2025-04-20"], env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            text = (home / "run.lock").read_text() if (home / "run.lock").exists() else ""
            if text:
                break
            time.sleep(0.2)
        holder = json.loads(text)
        second = subprocess.run(
            [SALESPIPE, "run", "--date", "2025-04-21"], env=env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the run and the Airflow process it started
        first.wait()
    assert second.returncode == 1
    assert second.stderr.startswith(
        f"salespipe run failed: Another salespipe run holds this install ({home}): "
        f"run {holder['run_id']} for business date 2025-04-20, started by pid {first.pid}"
    ), second.stderr
    assert "FOREIGN KEY" not in second.stderr


def test_a_date_without_deliveries_says_so_at_once(tmp_path):
    settings = settings_for(tmp_path)
    delivery = settings.landing / "leads" / "2025-01-01"
    delivery.mkdir(parents=True)
    (delivery / "leads.csv").write_text("lead_id,created_at,updated_at,source,status\n")
    (settings.landing / "leads" / "2025-01-05").mkdir()

    with pytest.raises(NoDeliveriesError) as error:
        ingest_deliveries(date(2024, 12, 1), settings)

    assert str(error.value) == (
        f"No deliveries dated on or before 2024-12-01 in {settings.landing}: the earliest "
        "delivery is dated 2025-01-01 (the latest 2025-01-01). Check the --date you gave; "
        "a night can only be built from deliveries up to its business date."
    )
    with duckdb.connect(str(settings.work_warehouse), read_only=True) as con:
        assert con.execute(
            "select status, message from monitoring.pipeline_runs where run_date = '2024-12-01'"
        ).fetchone() == ("failed", str(error.value))


def test_a_night_far_short_of_the_last_one_is_not_published_unless_forced(tmp_path):
    settings = settings_for(tmp_path)
    settings.work_warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        con.execute("create schema marts; create schema raw")
        con.execute("create table marts.opportunities as select range as id from range(0)")
        con.execute("create table marts.daily_revenue as select range as d from range(1800)")
        con.execute("create table raw.leads (lead_id varchar, _delivery_date date)")
        con.execute("insert into raw.leads values ('L1', '2024-01-01'), ('L2', '2030-01-01')")
        monitoring.start_run(con, date(2024, 1, 1), datetime.now(UTC))  # as ingest does
    # What the last published night recorded in its manifest.
    manifest_path(settings.warehouse).parent.mkdir(parents=True, exist_ok=True)
    manifest_path(settings.warehouse).write_text(json.dumps({
        "business_date": "2025-04-20",
        "guard_counts": {"marts.opportunities": 178, "marts.daily_revenue": 1771,
                         "raw.leads (delivered to date)": 1500},
    }))  # fmt: skip

    with pytest.raises(PublishGuardError) as error:
        publish_for_readers(date(2024, 1, 1), settings)

    assert str(error.value) == (
        "Publish guard: the night of 2024-01-01 falls far short of the last published night, "
        "so it is not published (BI tools keep 2025-04-20): marts.opportunities has 0 rows for "
        "2024-01-01, against 178 in the last published night (2025-04-20); raw.leads (delivered "
        "to date) has 1 rows for 2024-01-01, against 1,500 in the last published night "
        "(2025-04-20). If this is expected (a backfill of an early date, a CRM that really "
        "shrank), publish anyway with `salespipe run --date 2024-01-01 --force-publish` (or "
        "SALESPIPE_FORCE_PUBLISH=1 for the DAGs)."
    )
    assert not settings.warehouse.exists()
    forced = dataclasses.replace(settings, force_publish=True)
    assert airflow_environment(forced)["SALESPIPE_FORCE_PUBLISH"] == "1"
    # Forced, the warehouse stage is done; the night publishes once its models are done.
    assert publish_for_readers(date(2024, 1, 1), forced) is None
    with duckdb.connect(str(settings.work_warehouse), read_only=True) as con:
        assert con.execute(
            "select stage from monitoring.pipeline_stages where run_date = '2024-01-01'"
        ).fetchall() == [("warehouse",)]
