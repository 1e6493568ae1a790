"""The Airflow UI as a data engineer first meets it: `.venv/bin/salespipe airflow standalone`
without an activated venv, on 127.0.0.1 only, behind a login, showing the night's DAGs, its
runs with their real durations and every task's log; SIGTERM stops every process."""

from __future__ import annotations

import json
import re
import signal
import sqlite3

import pytest
from browser_support import free_port, salespipe_env

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]


def test_airflow_ui_logs_in_and_shows_dags_runs_and_task_logs(
    night, browser, start_server, tmp_path
):
    port = free_port()
    server = start_server(["airflow", "standalone", "--port", str(port)], salespipe_env(night.home))
    server.wait_until(f"http://127.0.0.1:{port}/api/v2/monitor/health", status=200)

    output = server.output()
    assert "FileNotFoundError" not in output
    listeners = server.listening_addresses()
    assert {ip for _, ip, _ in listeners} == {"127.0.0.1"}, listeners
    assert port in {p for *_, p in listeners}
    assert not {8793, 8794} & {p for *_, p in listeners}, "a log server is listening"
    password_file = night.home / "secrets" / "airflow_passwords.json"
    assert password_file.stat().st_mode & 0o777 == 0o600
    password = json.loads(password_file.read_text())["admin"]
    assert password not in output
    with sqlite3.connect(night.home / "airflow" / "airflow.db") as db:
        (run_id,) = db.execute(
            "select run_id from dag_run where dag_id = 'nightly_warehouse'"
        ).fetchone()

    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"http://127.0.0.1:{port}/dags")
    page.get_by_text("Sign into Airflow").wait_for(timeout=60_000)  # asks for a login
    assert "/auth/login" in page.url
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # Let the login's own redirect finish first: a goto during it is aborted (ERR_ABORTED).
    page.wait_for_url(lambda url: "/auth/login" not in url, timeout=60_000)
    page.wait_for_load_state()

    page.goto(f"http://127.0.0.1:{port}/dags")
    for dag_id in ("nightly_warehouse", "nightly_lead_scoring", "nightly_revenue_forecast"):
        page.get_by_text(dag_id, exact=True).first.wait_for(timeout=60_000)
    page.screenshot(path=tmp_path / "airflow_dags.png")

    page.goto(f"http://127.0.0.1:{port}/dags/nightly_warehouse/runs")
    page.get_by_text(run_id).first.wait_for(timeout=60_000)
    body = page.inner_text("body")
    # the run took about a minute, not the time since its logical date ("1d13:01:06")
    assert re.search(r"\b00:0\d:\d\d\b", body), body[-1500:]
    assert not re.search(r"\b\d+d\d\d:\d\d:\d\d\b", body)
    page.screenshot(path=tmp_path / "airflow_runs.png")

    page.goto(
        f"http://127.0.0.1:{port}/dags/nightly_warehouse/runs/{run_id}/tasks/ingest_deliveries"
    )
    page.get_by_text(f"ingest {night.business_date}:").first.wait_for(timeout=60_000)
    assert "Log file not found" not in page.inner_text("body")
    page.screenshot(path=tmp_path / "airflow_task_log.png")
    page.close()

    assert server.stop(signal.SIGTERM) == []
    assert server.process.returncode == 0
    assert server.output().rstrip().endswith("salespipe | stopped.")
