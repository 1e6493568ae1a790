"""The team deployment, run natively: docker-compose.yml's services as processes on this
machine's PostgreSQL and Redis, a night under the real scheduler on Celery, against the
authenticated MLflow server.

One module-scoped stack serves every test here: fresh databases, the MLflow server with
basic auth (mlflow/serve.py) and its roles (mlflow/setup_roles.py), airflow-init
(deploy/airflow-init.sh), then the api-server, scheduler, dag-processor, triggerer and a
Celery worker, each started with its compose command and environment (native_stack.py).
The night is triggered through the REST API with a token; the asset-scheduled DAGs start
on their own. Teardown stops every process group by id and drops the databases.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import httpx
import pytest
from native_stack import (
    REPO,
    VENV_BIN,
    ProcessGroup,
    Translation,
    group_is_gone,
    read_env_file,
    services,
    stop_all,
)

pytestmark = [pytest.mark.deploy, pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(1500)]

ASSET_DAGS = ("nightly_lead_scoring", "nightly_opportunity_scoring", "nightly_revenue_forecast")
ALL_DAGS = (
    "nightly_warehouse",
    *ASSET_DAGS,
    "on_demand_lead_model_training",
    "on_demand_revenue_model_training",
)
AIRFLOW_SERVICES = (
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
)
# Small data, so lead scoring's minimums are scaled down with it (as in tests/e2e).
CONFIG = """\
lead_scoring:
  label_window_days: 60
  min_mature_leads: 300
  min_converted_leads: 40
  min_comparison_rows: 50
  xgboost: {n_estimators: 60}
forecasting: {use_lstm: false}
drift: {share_drifted_features: 0.5}  # a first night's open leads differ from training's
"""
LEADS, DAYS = 1500, 120
ML_ENGINEER, VIEWER = "mle", "viewer"


def _clean_environment() -> dict[str, str]:
    """This process's environment without any install's own settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SALESPIPE_", "AIRFLOW", "MLFLOW_", "_AIRFLOW"))
    }
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _wait(what: str, check, timeout: float, groups=(), interval: float = 2.0):
    """Poll ``check()`` until it returns something truthy; fail with the logs otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for group in groups:
            if not group.alive():
                pytest.fail(
                    f"{group.service.name} exited while waiting for {what}:\n{group.tail()}"
                )
        try:
            result = check()
        except (httpx.HTTPError, OSError):
            result = None
        if result:
            return result
        time.sleep(interval)
    logs = "\n\n".join(f"== {g.service.name} ==\n{g.tail()}" for g in groups)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{logs}")


def _run(command: list[str], env: dict[str, str], what: str, timeout: float = 600) -> str:
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=timeout, cwd=REPO
    )
    assert result.returncode == 0, (
        f"{what} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout


class Stack:
    def __init__(self, root: Path, values: dict[str, str]) -> None:
        self.root = root
        self.values = values
        self.translation = Translation(root)
        self.services = services(values, self.translation)
        self.groups: dict[str, ProcessGroup] = {}
        self.base_env = _clean_environment()
        self.home = Path(self.services["airflow-worker"].env["SALESPIPE_HOME"])
        self.landing = Path(self.services["airflow-worker"].env["SALESPIPE_LANDING"])
        self.timings: dict[str, float] = {}

    def env(self, service: str, **extra: str) -> dict[str, str]:
        return {**self.base_env, **self.services[service].env, **extra}

    def start(self, name: str) -> ProcessGroup:
        self.groups[name] = ProcessGroup(self.services[name], self.root / "logs", self.base_env)
        return self.groups[name]

    def healthcheck(self, name: str) -> subprocess.Popen:
        """Start the compose healthcheck of ``name`` (CMD or CMD-SHELL), translated."""
        kind, *test = self.services[name].healthcheck
        hostname = socket.gethostname() if name == "airflow-worker" else self.airflow_hostname
        command = ["bash", "-c", test[0]] if kind == "CMD-SHELL" else test
        return subprocess.Popen(
            command,
            env=self.env(name, HOSTNAME=hostname),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def healthy(self, name: str) -> bool:
        return self.healthcheck(name).wait(timeout=120) == 0

    @property
    def airflow_hostname(self) -> str:
        """The host name Airflow records for its jobs (a container's HOSTNAME in compose)."""
        if not hasattr(self, "_airflow_hostname"):
            self._airflow_hostname = _run(
                [
                    "python",
                    "-c",
                    "from airflow.utils.net import get_hostname; print(get_hostname())",
                ],
                self.env("airflow-scheduler"),
                "get_hostname",
            ).strip()
        return self._airflow_hostname

    # --- clients -------------------------------------------------------------------
    def airflow_token(self, username: str, password: str) -> str:
        response = httpx.post(
            f"{self.translation.api_url}/auth/token",
            json={"username": username, "password": password},
            timeout=60,
        )
        assert response.status_code == 201, response.text
        return response.json()["access_token"]

    def api(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(
            base_url=f"{self.translation.api_url}/api/v2", headers=headers, timeout=60
        )

    def mlflow_auth(self, username: str) -> tuple[str, str]:
        return username, self.values[f"_PASSWORD_{username}"]


def _databases(values: dict[str, str]) -> list[str]:
    return [values["AIRFLOW_DB_NAME"], values["MLFLOW_DB_NAME"], values["MLFLOW_AUTH_DB_NAME"]]


def _postgres(sql: str) -> None:
    import psycopg2

    con = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    con.autocommit = True
    try:
        with con.cursor() as cursor:
            cursor.execute(sql)
    finally:
        con.close()


@pytest.fixture(scope="module")
def stack(local_services, tmp_path_factory):
    started = time.monotonic()
    root = tmp_path_factory.mktemp("deploy")
    suffix = secrets.token_hex(4)
    values = read_env_file()
    # What an operator puts in .env: real secrets, and this machine's database owner.
    values.update(
        {
            "POSTGRES_USER": "postgres",
            "POSTGRES_PASSWORD": secrets.token_urlsafe(12),  # trust auth: not asked for
            "AIRFLOW_DB_NAME": f"salespipe_airflow_{suffix}",
            "MLFLOW_DB_NAME": f"salespipe_mlflow_{suffix}",
            "MLFLOW_AUTH_DB_NAME": f"salespipe_mlflow_auth_{suffix}",
            "AIRFLOW_ADMIN_PASSWORD": secrets.token_urlsafe(16),
            "AIRFLOW_FERNET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "AIRFLOW_JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW_API_SECRET_KEY": secrets.token_urlsafe(32),
            "SALESPIPE_PII_KEY": secrets.token_hex(32),
            "MLFLOW_ADMIN_PASSWORD": secrets.token_urlsafe(16),
            "MLFLOW_FLASK_SECRET_KEY": secrets.token_urlsafe(32),
            "SALESPIPE_MLFLOW_PASSWORD": secrets.token_urlsafe(16),
            # Two cores shared with the rest of the suite.
            "AIRFLOW_API_WORKERS": "1",
            "AIRFLOW_PARALLELISM": "2",
            "AIRFLOW_WORKER_CONCURRENCY": "2",
            "SALESPIPE_DUCKDB_MEMORY_LIMIT": "2GB",
            f"_PASSWORD_{ML_ENGINEER}": secrets.token_urlsafe(16),
            f"_PASSWORD_{VIEWER}": secrets.token_urlsafe(16),
        }
    )
    for name in _databases(values):
        _postgres(f'CREATE DATABASE "{name}"')
    stack = Stack(root, values)
    (root / "logs").mkdir()
    stack.home.mkdir(parents=True)
    (stack.home / "salespipe.yml").write_text(CONFIG)
    try:
        print("\n[deploy] MLflow server and airflow-init ...", flush=True)
        mlflow = stack.start("mlflow")
        init = stack.start("airflow-init")  # independent of MLflow, as in compose
        _wait("MLflow's healthcheck", lambda: stack.healthy("mlflow"), 180, [mlflow])
        _run(
            [*stack.services["mlflow-init"].command, "--user", ML_ENGINEER, "ml-engineer",
             "--user", VIEWER, "viewer"],
            stack.env(
                "mlflow-init",
                MLFLOW_USER_PASSWORD_MLE=values[f"_PASSWORD_{ML_ENGINEER}"],
                MLFLOW_USER_PASSWORD_VIEWER=values[f"_PASSWORD_{VIEWER}"],
            ),
            "mlflow-init (setup_roles.py)",
        )  # fmt: skip
        _wait("airflow-init to complete", lambda: not init.alive(), 600, [mlflow])
        assert init.process.returncode == 0, f"airflow-init failed:\n{init.tail()}"
        stack.groups.pop("airflow-init").log.close()
        print("[deploy] Airflow components ...", flush=True)
        for name in AIRFLOW_SERVICES:
            stack.start(name)
        groups = list(stack.groups.values())
        _wait(
            "the api-server's healthcheck", lambda: stack.healthy("airflow-apiserver"), 300, groups
        )
        _wait(
            "the scheduler's healthcheck", lambda: stack.healthy("airflow-scheduler"), 300, groups
        )
        stack.timings["stack_start_s"] = time.monotonic() - started
        print(f"[deploy] stack up in {stack.timings['stack_start_s']:.0f} s", flush=True)
        yield stack
    finally:
        stop_all(list(stack.groups.values()))
        problems = [
            f"{name} (process group {group.pid}) survived SIGKILL"
            for name, group in stack.groups.items()
            if not group_is_gone(group.pid)
        ]
        for name in _databases(values):
            _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        assert not problems, problems


@pytest.fixture(scope="module")
def night(stack: Stack):
    """Trigger the nightly warehouse through the REST API; wait for the whole night."""
    admin = stack.values["AIRFLOW_ADMIN_USERNAME"]
    token = stack.airflow_token(admin, stack.values["AIRFLOW_ADMIN_PASSWORD"])
    groups = list(stack.groups.values())
    with stack.api(token) as api:

        def parsed():
            dags = api.get("/dags", params={"tags": "salespipe", "limit": 50}).json()["dags"]
            return {d["dag_id"]: d for d in dags} if len(dags) >= len(ALL_DAGS) else None

        dags = _wait("the dag-processor to parse the DAGs", parsed, 300, groups)
        # The run the scheduler would create on its own when the DAG is unpaused (the
        # last complete day): triggered for exactly that logical date, it is the only one.
        warehouse = dags["nightly_warehouse"]
        logical_date = warehouse["next_dagrun_logical_date"]
        interval = (
            warehouse["next_dagrun_data_interval_start"],
            warehouse["next_dagrun_data_interval_end"],
        )
        business_date = datetime.fromisoformat(interval[0]).date()
        start = business_date - timedelta(days=DAYS - 1)
        _run(
            [str(VENV_BIN / "salespipe"), "generate", "--out", str(stack.landing),
             "--leads", str(LEADS), "--start", start.isoformat(), "--days", str(DAYS)],
            {**stack.base_env, "SALESPIPE_HOME": str(stack.home)},
            "salespipe generate",
        )  # fmt: skip
        for dag_id in ALL_DAGS:
            if dag_id != "nightly_warehouse":
                response = api.patch(f"/dags/{dag_id}", json={"is_paused": False})
                assert response.status_code == 200, response.text
        triggered_at = time.monotonic()
        # With the interval given, a manual run is that scheduled night exactly (inferred,
        # Airflow would give a manual run the day before its logical date).
        response = api.post(
            "/dags/nightly_warehouse/dagRuns",
            json={
                "logical_date": logical_date,
                "data_interval_start": interval[0],
                "data_interval_end": interval[1],
                "conf": {},
            },
        )
        assert response.status_code == 200, response.text
        warehouse_run = response.json()
        assert api.patch("/dags/nightly_warehouse", json={"is_paused": False}).status_code == 200
        print(
            f"[deploy] night of {business_date} triggered ({warehouse_run['dag_run_id']})",
            flush=True,
        )

        def finished():
            runs = {}
            # A drift alert may start the on-demand training DAG too: then wait for it.
            for dag_id in ("nightly_warehouse", *ASSET_DAGS, "on_demand_lead_model_training"):
                found = api.get(f"/dags/{dag_id}/dagRuns", params={"limit": 10}).json()["dag_runs"]
                failed = [r for r in found if r["state"] == "failed"]
                if failed:
                    tasks = api.get(
                        f"/dags/{dag_id}/dagRuns/{failed[0]['dag_run_id']}/taskInstances"
                    ).json()["task_instances"]
                    states = {t["task_id"]: t["state"] for t in tasks}
                    logs = "\n".join(f"== {g.service.name} ==\n{g.tail(60)}" for g in groups)
                    pytest.fail(f"{dag_id} failed: {states}\n{logs}")
                if dag_id == "on_demand_lead_model_training" and not found:
                    continue
                done = [r for r in found if r["state"] == "success"]
                if len(done) < len(found) or not done:
                    return None
                runs[dag_id] = done[0]
            return runs

        runs = _wait("the night (warehouse, lead scoring, forecast)", finished, 1200, groups, 5)
        stack.timings["night_s"] = time.monotonic() - triggered_at
        for dag_id, run in runs.items():
            tasks = api.get(f"/dags/{dag_id}/dagRuns/{run['dag_run_id']}/taskInstances").json()
            for task in tasks["task_instances"]:
                stack.timings[f"{dag_id}.{task['task_id']}"] = round(task["duration"] or 0, 1)
        print(f"[deploy] night done in {stack.timings['night_s']:.0f} s", flush=True)
        print(f"[deploy] timings: {json.dumps(stack.timings)}", flush=True)
    return {"business_date": business_date, "runs": runs, "token": token, "admin": admin}


def published(stack: Stack, sql: str, params=()):
    path = stack.home / "warehouse" / "salespipe.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


# --- Airflow -------------------------------------------------------------------------


def test_the_rest_api_wants_a_token(stack: Stack):
    with stack.api() as anonymous:
        assert anonymous.get("/dags").status_code == 401
    with stack.api("not-a-token") as forged:
        response = forged.get("/dags")
    assert response.status_code == 403 and "dags" not in response.json(), response.text


def test_the_night_ran_under_the_scheduler_on_celery_and_records_who_triggered_it(
    stack: Stack, night
):
    runs = night["runs"]
    warehouse = runs["nightly_warehouse"]
    assert warehouse["run_type"] == "manual"
    assert warehouse["triggering_user_name"] == night["admin"]
    assert warehouse["data_interval_start"].startswith(night["business_date"].isoformat())
    for dag_id in ASSET_DAGS:  # started by the scheduler on the warehouse's Assets
        assert runs[dag_id]["run_type"] == "asset_triggered", runs[dag_id]
    # The tasks ran in the Celery worker's processes, not in the scheduler.
    worker_log = stack.groups["airflow-worker"].log_path.read_text(errors="replace")
    assert "execute_workload" in worker_log or "build_warehouse" in worker_log, worker_log[-2000:]
    # One slot for everything that opens the working warehouse.
    with stack.api(night["token"]) as api:
        pool = api.get("/pools/salespipe_warehouse").json()
    assert pool["slots"] == 1


def test_a_viewer_of_airflow_cannot_trigger_a_night(stack: Stack, night):
    password = secrets.token_urlsafe(16)
    _run(
        ["airflow", "users", "create", "--username", "analyst", "--password", password,
         "--email", "analyst@example.com", "--role", "Viewer", "--firstname", "A",
         "--lastname", "Analyst"],
        stack.env("airflow-init"), "airflow users create",
    )  # fmt: skip
    with stack.api(stack.airflow_token("analyst", password)) as api:
        assert api.get("/dags/nightly_warehouse").status_code == 200
        response = api.post("/dags/nightly_warehouse/dagRuns", json={"logical_date": None})
    assert response.status_code == 403, response.text


def test_every_component_passes_its_compose_healthcheck(stack: Stack, night):
    checks = {name: stack.healthcheck(name) for name in (*AIRFLOW_SERVICES, "mlflow")}
    for name, check in checks.items():
        output = check.communicate(timeout=180)[0]
        assert check.returncode == 0, f"{name}: {stack.services[name].healthcheck}\n{output}"


# --- the warehouse -------------------------------------------------------------------


def test_the_published_warehouse_holds_the_night(stack: Stack, night):
    business_date = night["business_date"]
    assert published(stack, "select business_date from meta.publication") == [(business_date,)]
    scores = published(
        stack,
        "select count(*), min(model_name), min(model_version) from ml.lead_scores "
        "where score_date = ?",
        [business_date],
    )[0]
    assert scores[0] > 0 and scores[1] == "lead_scoring" and scores[2] == "1", scores
    forecasts = published(
        stack, "select count(*) from ml.revenue_forecasts where forecast_date = ?", [business_date]
    )[0][0]
    assert forecasts > 0
    status = published(
        stack, "select status from monitoring.pipeline_runs where run_date = ?", [business_date]
    )
    assert status == [("success",)]


# --- MLflow --------------------------------------------------------------------------


def _rest(stack: Stack, method: str, path: str, auth=None, **kwargs) -> httpx.Response:
    return httpx.request(
        method, f"{stack.translation.mlflow_url}/api/2.0/mlflow/{path}", auth=auth, timeout=60,
        **kwargs,
    )  # fmt: skip


def test_the_nightly_service_account_registered_the_models(stack: Stack, night):
    from mlflow.server.auth.client import AuthServiceClient

    service = stack.values["SALESPIPE_MLFLOW_USER"]
    auth = (service, stack.values["SALESPIPE_MLFLOW_PASSWORD"])
    models = {}
    for name in ("lead_scoring", "revenue_forecast"):
        response = _rest(stack, "GET", "registered-models/get", auth, params={"name": name})
        assert response.status_code == 200, response.text
        models[name] = response.json()["registered_model"]
    aliases = {a["alias"]: a["version"] for a in models["lead_scoring"].get("aliases", [])}
    assert aliases.get("champion") == "1", models["lead_scoring"]
    # 120 days are too short a history for a forecast backtest: a version, not a champion.
    versions = _rest(
        stack, "GET", "model-versions/search", auth, params={"filter": "name='revenue_forecast'"}
    ).json()
    assert versions.get("model_versions"), versions
    os.environ["MLFLOW_TRACKING_USERNAME"] = stack.values["MLFLOW_ADMIN_USERNAME"]
    os.environ["MLFLOW_TRACKING_PASSWORD"] = stack.values["MLFLOW_ADMIN_PASSWORD"]
    try:
        admin = AuthServiceClient(stack.translation.mlflow_url)
        assert admin.get_user(service).is_admin is False
        # MLflow makes the creator of a model its owner: the service account made it.
        owned = admin.get_user_permission(service, "registered_model", "lead_scoring")
        assert owned.permission == "MANAGE"
        assert (
            admin.get_user_permission(VIEWER, "registered_model", "lead_scoring").permission
            == "READ"
        )
    finally:
        os.environ.pop("MLFLOW_TRACKING_USERNAME")
        os.environ.pop("MLFLOW_TRACKING_PASSWORD")


def test_mlflow_permissions_and_rollback_against_the_server(stack: Stack, night):
    model = {"name": "lead_scoring"}
    # Nobody logged in: 401, even for reading.
    assert _rest(stack, "GET", "registered-models/get", params=model).status_code == 401
    # A viewer reads, but cannot move champion.
    viewer = stack.mlflow_auth(VIEWER)
    assert _rest(stack, "GET", "registered-models/get", viewer, params=model).status_code == 200
    move = {**model, "alias": "champion", "version": "1"}
    assert _rest(stack, "POST", "registered-models/alias", viewer, json=move).status_code == 403
    # An ML engineer registers a version (from the champion's own model) and promotes it.
    engineer = stack.mlflow_auth(ML_ENGINEER)
    champion = _rest(
        stack, "GET", "registered-models/alias", engineer, params={**model, "alias": "champion"}
    )
    assert champion.status_code == 200, champion.text
    before = champion.json()["model_version"]["version"]
    source = champion.json()["model_version"]
    created = _rest(
        stack, "POST", "model-versions/create", engineer,
        json={**model, "source": source["source"], "run_id": source["run_id"],
              "model_id": source["source"].removeprefix("models:/")},
    )  # fmt: skip
    assert created.status_code == 200, created.text
    version = created.json()["model_version"]["version"]
    # A version that never faced the gate is champion only with who and why (issue 12):
    # the ML engineer says so on the version, as the MLflow UI lets them.
    for key, value in (("approved_by", ML_ENGINEER), ("approval_reason", "native test")):
        tagged = _rest(
            stack, "POST", "model-versions/set-tag", engineer,
            json={**model, "version": version, "key": key, "value": value},
        )  # fmt: skip
        assert tagged.status_code == 200, tagged.text
    moved = _rest(
        stack, "POST", "registered-models/alias", engineer, json={**move, "version": version}
    )
    assert moved.status_code == 200, moved.text
    # `salespipe models rollback` as the ML engineer, against the server.
    env = {
        **stack.env("airflow-worker"),
        "MLFLOW_TRACKING_USERNAME": ML_ENGINEER,
        "MLFLOW_TRACKING_PASSWORD": engineer[1],
    }
    out = _run(
        [str(VENV_BIN / "salespipe"), "models", "rollback", "lead_scoring", "--reason", "test"],
        env,
        "salespipe models rollback",
    )
    alias = _rest(
        stack, "GET", "registered-models/alias", engineer, params={**model, "alias": "champion"}
    )
    assert alias.json()["model_version"]["version"] == before, (out, alias.text)
    rows = published(
        stack,
        "select action, from_version, to_version, moved_by from monitoring.model_promotions "
        "where model_name = 'lead_scoring' and alias = 'champion' order by 1",
    )
    actions = {(a, f, t) for a, f, t, _ in rows}
    assert ("manual", before, version) in actions, rows
    assert ("rollback", version, before) in actions, rows
    assert any(f"user {ML_ENGINEER}" in by for a, *_, by in rows if a == "rollback"), rows
