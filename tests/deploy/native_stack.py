"""docker-compose.yml's configuration, read and run as local processes.

There is no Docker engine on the machines that run the suite, so the deployment test
starts each compose service's own command with the environment compose would give it,
translated only where a container and a host differ: service host names become
127.0.0.1, container ports become free local ports (other installs may hold 8080 or
5000), container paths become folders of the test, and listeners bind to 127.0.0.1.
Everything else (executor, auth manager, broker and database URLs, secrets wiring,
parallelism, the service account) is taken from the compose file and .env.example.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
VENV_BIN = Path(sys.executable).absolute().parent

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-|:?\?)([^}]*))?\}")


class InterpolationError(ValueError):
    """A required variable (``${VAR:?message}``) has no value."""


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's variable substitution: ``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}``
    (and their forms without the colon); ``$$`` is a literal ``$``."""

    def replace(match: re.Match[str]) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3) or ""
        value = env.get(name)
        empty_counts = operator is not None and operator.startswith(":")
        missing = value is None or (empty_counts and value == "")
        if operator and operator.endswith("-"):
            return argument if missing else value  # type: ignore[return-value]
        if operator and operator.endswith("?"):
            if missing:
                raise InterpolationError(f"{name}: {argument}")
            return value  # type: ignore[return-value]
        return value or ""

    return _VAR.sub(replace, text.replace("$$", "\0")).replace("\0", "$")


def read_env_file(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    """KEY=value lines as compose reads a .env file (inline `` # comments`` dropped)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip()] = re.split(r"\s+#", value, maxsplit=1)[0].strip()
    return values


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def referenced_variables() -> set[str]:
    """Every variable docker-compose.yml substitutes."""
    text = COMPOSE_FILE.read_text().replace("$$", "")  # $$ is a literal $ for the container
    return {match.group(1) for match in _VAR.finditer(text)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Translation:
    """Where the containers' world sits on this machine."""

    root: Path
    ports: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for container_port in (8080, 8974, 8793, 8794, 5000):
            self.ports.setdefault(container_port, free_port())
        self.paths = {
            "/opt/salespipe/app": str(REPO),
            "/opt/salespipe/home": str(self.root / "home"),
            "/opt/salespipe/landing": str(self.root / "landing"),
            "/opt/airflow": str(self.root / "airflow"),
            "/mlflow/artifacts": str(self.root / "mlflow-artifacts"),
            "/tmp/mlflow-auth": str(self.root / "mlflow-auth"),
        }
        self.hosts = {
            "postgres:5432": "127.0.0.1:5432",
            "redis:6379": "127.0.0.1:6379",
            "airflow-apiserver:8080": f"127.0.0.1:{self.ports[8080]}",
            "mlflow:5000": f"127.0.0.1:{self.ports[5000]}",
            "localhost:8080": f"127.0.0.1:{self.ports[8080]}",
            "localhost:8974": f"127.0.0.1:{self.ports[8974]}",
            "localhost:5000": f"127.0.0.1:{self.ports[5000]}",
        }

    def value(self, key: str, value: str) -> str:
        if value in ("0.0.0.0",):
            return "127.0.0.1"
        if value.isdigit() and int(value) in self.ports and key.endswith("PORT"):
            return str(self.ports[int(value)])
        for old, new in {**self.hosts, **self.paths}.items():
            value = value.replace(old, new)
        return value

    def command(self, command: list[str]) -> list[str]:
        programs = {"airflow": str(VENV_BIN / "airflow"), "python": sys.executable}
        return [programs.get(part, self.value("", part)) for part in command]

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports[8080]}"

    @property
    def mlflow_url(self) -> str:
        return f"http://127.0.0.1:{self.ports[5000]}"


@dataclass
class Service:
    name: str
    command: list[str]
    env: dict[str, str]
    healthcheck: list[str] | None


def services(values: Mapping[str, str], translation: Translation) -> dict[str, Service]:
    """Each compose service's command, environment and healthcheck, translated."""
    compose = load_compose()
    result = {}
    for name, spec in compose["services"].items():
        if "image" in spec and spec["image"].startswith(("postgres", "redis")):
            continue  # this machine's own PostgreSQL and Redis stand in for them
        env = {
            key: translation.value(key, interpolate(str(value), values))
            for key, value in (spec.get("environment") or {}).items()
        }
        if name.startswith("airflow"):
            env["AIRFLOW__API__HOST"] = "127.0.0.1"  # compose leaves it at 0.0.0.0
        command = translation.command([interpolate(str(part), values) for part in spec["command"]])
        test = spec.get("healthcheck", {}).get("test")
        health = translation.command([interpolate(str(p), values) for p in test]) if test else None
        result[name] = Service(name, command, env, health)
    return result


class ProcessGroup:
    """One started service: its own process group, so teardown reaches its children."""

    def __init__(self, service: Service, log_dir: Path, base_env: Mapping[str, str]) -> None:
        self.service = service
        self.log_path = log_dir / f"{service.name}.log"
        self.log = self.log_path.open("w")
        env = {**base_env, **service.env}
        self.process = subprocess.Popen(
            service.command,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=REPO,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = 40) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM to the group, then SIGKILL to whatever of it is left."""
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                self.process.poll()
                try:
                    os.killpg(self.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.5)
            else:
                continue
            break
        self.process.poll()
        self.log.close()


def stop_all(groups: list[ProcessGroup], timeout: float = 30) -> None:
    """SIGTERM every group at once, wait for them together, SIGKILL what is left."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10)):
        for group in groups:
            try:
                os.killpg(group.pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            for group in groups:
                group.process.poll()
            if all(group_is_gone(group.pid) for group in groups):
                break
            time.sleep(0.5)
    for group in groups:
        group.process.poll()
        group.log.close()


def group_is_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False
