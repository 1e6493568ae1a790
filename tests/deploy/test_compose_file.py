"""docker-compose.yml, Dockerfile and .env.example, read as a reviewer would (no Docker
engine needed): the services, their healthchecks and start order, one image built
from the lock, loopback-only ports, and not one secret in the repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from native_stack import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    REPO,
    InterpolationError,
    interpolate,
    load_compose,
    read_env_file,
    referenced_variables,
)

AIRFLOW = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
}
SERVICES = {"postgres", "redis", "mlflow", "mlflow-init", "serve", *AIRFLOW}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|_KEY\b|_KEY$", re.IGNORECASE)
REQUIRED_REFERENCE = re.compile(r"^\$\{[A-Z_]+:\?[^}]+\}$")


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose()


def _environments(compose: dict):
    for name, spec in compose["services"].items():
        for key, value in (spec.get("environment") or {}).items():
            yield name, key, str(value)


def test_the_services_of_airflows_reference_layout_and_mlflow(compose):
    assert set(compose["services"]) == SERVICES
    env = compose["services"]["airflow-worker"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("fab_auth_manager.FabAuthManager")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == (
        "http://airflow-apiserver:8080/execution/"
    )
    # Every Airflow component gets the very same settings (one anchor).
    for name in AIRFLOW:
        assert compose["services"][name]["environment"].items() >= env.items(), name
    mlflow = compose["services"]["mlflow"]
    assert mlflow["command"][-1].endswith("mlflow/serve.py")
    assert mlflow["environment"]["MLFLOW_BACKEND_STORE_URI"].startswith("postgresql")
    assert mlflow["environment"]["MLFLOW_AUTH_DATABASE_URI"].startswith("postgresql")
    assert "--app-name" in (REPO / "mlflow" / "serve.py").read_text()


def test_every_service_has_a_healthcheck_and_waits_on_conditions(compose):
    for name, spec in compose["services"].items():
        assert spec.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        depends = spec.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on without conditions"
        for other, rule in depends.items():
            assert rule["condition"] in {
                "service_healthy",
                "service_completed_successfully",
            }, (name, other)
    worker = compose["services"]["airflow-worker"]["depends_on"]
    assert worker["airflow-init"]["condition"] == "service_completed_successfully"
    assert worker["mlflow-init"]["condition"] == "service_completed_successfully"
    assert worker["postgres"]["condition"] == "service_healthy"


def test_one_image_built_from_the_lock_as_dev_py_installs_it(compose):
    ours = {name for name, spec in compose["services"].items() if "build" in spec}
    assert ours == SERVICES - {"postgres", "redis"}
    assert {compose["services"][name]["image"] for name in ours} == {
        "${SALESPIPE_IMAGE:-salespipe:local}"
    }
    assert {compose["services"][name]["build"]["dockerfile"] for name in ours} == {"Dockerfile"}
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(r"uv pip sync requirements\.lock .*--compile-bytecode", dockerfile)
    uv_pin = re.search(r'UV_VERSION = "([\d.]+)"', (REPO / "dev.py").read_text()).group(1)
    assert f"ARG UV_VERSION={uv_pin}" in dockerfile
    assert "USER 50000" in dockerfile


def test_named_volumes_hold_warehouse_landing_and_artifacts(compose):
    assert {"salespipe-warehouse", "salespipe-landing", "mlflow-artifacts"} <= set(
        compose["volumes"]
    )
    volumes = compose["services"]["airflow-worker"]["volumes"]
    assert "salespipe-warehouse:/opt/salespipe/home/warehouse" in volumes
    assert "salespipe-landing:/opt/salespipe/landing" in volumes
    assert "mlflow-artifacts:/mlflow/artifacts" in compose["services"]["mlflow"]["volumes"]


def test_ports_bind_to_loopback_unless_the_operator_says_otherwise(compose):
    published = {
        name: spec["ports"] for name, spec in compose["services"].items() if spec.get("ports")
    }
    assert set(published) == {"airflow-apiserver", "mlflow", "serve"}
    for name, ports in published.items():
        for port in ports:
            assert interpolate(port, {}).startswith("127.0.0.1:"), (name, port)
            assert interpolate(port, {"AIRFLOW_BIND": "0.0.0.0", "MLFLOW_BIND": "0.0.0.0"})
    assert "ports" not in compose["services"]["redis"]
    assert "ports" not in compose["services"]["postgres"]


def test_no_secret_is_in_the_file_and_every_one_is_required(compose):
    for service, key, value in _environments(compose):
        if SECRET_NAME.search(key) and "USERNAME" not in key:
            assert REQUIRED_REFERENCE.match(value), f"{service}.{key} = {value!r}"
        for credentials in re.findall(r"://[^@/\s]*:([^@/\s]*)@", value):
            assert credentials == "" or REQUIRED_REFERENCE.match(credentials), (service, key)
    # Without .env, compose refuses to start rather than run with a guessable secret.
    with pytest.raises(InterpolationError, match="POSTGRES_PASSWORD"):
        interpolate(compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"], {})


def test_env_example_lists_every_variable_and_no_real_secret():
    example = read_env_file(ENV_EXAMPLE)
    assert referenced_variables() <= set(example), referenced_variables() - set(example)
    for key, value in example.items():
        if SECRET_NAME.search(key) and "USER" not in key:
            assert value.startswith("change-me"), f"{key} in .env.example is not a placeholder"
    ignored = (REPO / ".gitignore").read_text().splitlines()
    assert ".env" in ignored


def test_the_warehouse_pool_has_one_slot_in_every_deployment():
    assert "airflow_first_admin.py" in (REPO / "deploy" / "airflow-init.sh").read_text()
    init = (REPO / "deploy" / "airflow_first_admin.py").read_text()
    assert 'WAREHOUSE_POOL = "salespipe_warehouse"' in init
    assert re.search(r"create_or_update_pool\(\s*WAREHOUSE_POOL,\s*1,", init)
    # The pool's one definition, which every DAG's default_args use (tests/dags checks
    # that every task runs in it).
    assert 'WAREHOUSE_POOL = "salespipe_warehouse"' in (REPO / "ml" / "names.py").read_text()
    assert '"pool": WAREHOUSE_POOL' in (REPO / "dags" / "salespipe_assets.py").read_text()
    for dag in (REPO / "dags").glob("nightly_*.py"):
        assert "@salespipe_dag(" in dag.read_text(), dag.name


def _serve(**env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    full = {
        **base,
        "MLFLOW_BACKEND_STORE_URI": "postgresql://x@127.0.0.1/none",
        "MLFLOW_AUTH_DATABASE_URI": "postgresql://x@127.0.0.1/none",
        "MLFLOW_ARTIFACTS_DESTINATION": "/nonexistent",
        "MLFLOW_FLASK_SERVER_SECRET_KEY": "a-real-secret-key-here",
        **env,
    }
    return subprocess.run(
        [sys.executable, str(REPO / "mlflow" / "serve.py")],
        env=full, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    "password, reason",
    [
        (None, "MLFLOW_AUTH_ADMIN_PASSWORD is not set."),
        (read_env_file(ENV_EXAMPLE)["MLFLOW_ADMIN_PASSWORD"], "still a default value"),
        ("password1234", "still a default value"),
        ("short", "fewer than 12 characters"),
    ],
)
def test_the_mlflow_server_refuses_to_start_with_a_default_admin_password(password, reason):
    result = _serve(**({"MLFLOW_AUTH_ADMIN_PASSWORD": password} if password else {}))
    assert result.returncode != 0
    assert "The MLflow tracking server will not start:" in result.stderr
    assert reason in result.stderr
    assert "Starting MLflow" not in result.stdout


def test_compose_file_mentions_no_literal_password():
    text = COMPOSE_FILE.read_text()
    assert "change-me" not in text
    assert not re.search(r"PASSWORD:\s*[\"']?[A-Za-z0-9]", text)
