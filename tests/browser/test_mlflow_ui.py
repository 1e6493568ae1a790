"""The MLflow UI as an ML engineer first meets it: `salespipe models ui` on 127.0.0.1 behind
a login whose password is in a mode-600 file, experiments in the classic
machine-learning view, the registered models with their aliases; Ctrl-C stops it all."""

from __future__ import annotations

import signal

import pytest
from browser_support import free_port, salespipe_env
from playwright.sync_api import Error as PlaywrightError

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]


def test_mlflow_ui_logs_in_and_shows_runs_and_models_with_aliases(
    night, browser, start_server, tmp_path
):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(["models", "ui", "--port", str(port)], salespipe_env(night.home))
    server.wait_until(f"{url}/", status=401)  # no page without a login

    password_file = night.home / "secrets" / "mlflow_admin_password"
    assert password_file.stat().st_mode & 0o777 == 0o600
    password = password_file.read_text().strip()
    output = server.output()
    assert f"password in {password_file}" in output
    assert password not in output
    listeners = server.listening_addresses()
    assert {ip for _, ip, _ in listeners} == {"127.0.0.1"}, listeners

    anonymous = browser.new_context()
    answer = anonymous.request.get(f"{url}/")
    assert answer.status == 401
    assert answer.headers["www-authenticate"] == 'Basic realm="mlflow"'
    with pytest.raises(PlaywrightError, match="ERR_INVALID_AUTH_CREDENTIALS"):
        anonymous.new_page().goto(f"{url}/")  # headless: the login prompt, unanswered
    anonymous.close()
    context = browser.new_context(
        viewport={"width": 1400, "height": 900},
        http_credentials={"username": "admin", "password": password},
    )
    page = context.new_page()
    assert page.goto(f"{url}/#/experiments").status == 200
    page.get_by_text("lead_scoring", exact=True).first.click(timeout=60_000)
    # the classic view: the runs of the training, not the GenAI overview or traces
    page.get_by_text(f"train {night.business_date} (no_champion)").first.wait_for(timeout=90_000)
    assert "/runs" in page.url
    sidebar = page.inner_text("body")
    assert "Judges" not in sidebar and "Sessions" not in sidebar
    page.screenshot(path=tmp_path / "mlflow_experiment.png")

    page.goto(f"{url}/#/models")
    page.get_by_text("lead_scoring", exact=True).first.wait_for(timeout=60_000)
    page.get_by_text("@ champion").first.wait_for(timeout=60_000)
    dialog = page.get_by_role("dialog")  # MLflow's one-time "new Model Registry UI" notice
    if dialog.count():
        page.keyboard.press("Escape")
        dialog.wait_for(state="hidden", timeout=30_000)
        page.wait_for_timeout(1_000)  # the backdrop fades out
    assert page.get_by_text("@ champion").first.is_visible()
    assert page.get_by_text("Version 1").first.is_visible()
    page.screenshot(path=tmp_path / "mlflow_models.png")
    context.close()

    assert server.stop(signal.SIGINT) == []
    assert server.process.returncode == 0
