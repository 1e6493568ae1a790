"""Helpers of the browser smoke tests: the user's environment, servers in the background."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psutil

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
BIN = Path(sys.executable).parent
SALESPIPE = str(BIN / "salespipe")


@dataclass(frozen=True)
class Night:
    home: Path
    business_date: date


def salespipe_env(home: Path) -> dict[str, str]:
    """The environment of a user who did not activate the venv: no .venv/bin on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("SALESPIPE_LANDING", "VIRTUAL_ENV")}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and Path(p) != BIN]
    env["PATH"] = os.pathsep.join(path or ["/usr/bin", "/bin"])
    env["SALESPIPE_HOME"] = str(home)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A salespipe server command in the background, as a user starts it in a terminal."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("w")
        self.process = subprocess.Popen(
            [SALESPIPE, *argv], env=env, stdout=self._out, stderr=subprocess.STDOUT, text=True
        )
        self.descendants: dict[int, psutil.Process] = {}

    def wait_until(self, url: str, timeout: float = 240.0, status: int | None = None) -> None:
        """Until ``url`` answers (any HTTP status, or ``status``); remember the processes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()[-3000:]
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    code = response.status
            except urllib.error.HTTPError as exc:
                code = exc.code
            except (urllib.error.URLError, OSError):
                time.sleep(1)
                continue
            if status is None or code == status:
                self.remember_processes()
                return
            time.sleep(1)
        raise AssertionError(f"{url} did not come up in {timeout} s:\n{self.output()[-3000:]}")

    def remember_processes(self) -> None:
        for child in psutil.Process(self.process.pid).children(recursive=True):
            self.descendants[child.pid] = child

    def listening_addresses(self) -> set[tuple[str, str, int]]:
        """(process name, address, port) of every listening socket of the server's processes."""
        self.remember_processes()
        found = set()
        for process in [psutil.Process(self.process.pid), *self.descendants.values()]:
            try:
                for conn in process.net_connections(kind="inet"):
                    if conn.status == psutil.CONN_LISTEN:
                        found.add((process.name(), conn.laddr.ip, conn.laddr.port))
            except psutil.NoSuchProcess:
                continue
        return found

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text(errors="replace")

    def stop(self, sig: int, timeout: float = 90.0) -> list[str]:
        """Send ``sig`` to salespipe alone; return the processes still alive after it exits."""
        self.remember_processes()
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        alive = []
        for pid, process in self.descendants.items():
            try:
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(f"{pid} {' '.join(process.cmdline())[:120]}")
            except psutil.NoSuchProcess:
                continue
        return alive

    def kill(self) -> None:
        """Clean up after a failed test: end this server's own processes, by id."""
        for process in [*self.descendants.values()]:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._out.close()
