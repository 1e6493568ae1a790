#!/usr/bin/env python3
"""Build the environment from the lock file, then run the demo or the tests.

Usage:
    python3 dev.py demo        # set up, then run the one-command demo
    python3 dev.py test [ARGS] # set up, then run the whole test suite (ARGS go to pytest)
    python3 dev.py setup       # only build .venv from requirements.lock
    python3 dev.py lock        # re-resolve pyproject.toml into requirements.lock

Only the standard library is used here: this runs on a machine that has nothing but
Python 3.11. The environment is rebuilt only when requirements.lock or pyproject.toml
changed since the last build, so running it again does nothing.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"
STAMP = VENV / ".salespipe-lock.sha256"
# The installer itself is pinned, so the same lock always installs the same way.
UV_VERSION = "0.13.8"
# The DuckDB line BI drivers ship (1.4 LTS), in a folder of its own beside the venv: a
# test opens the published warehouse with it, as a BI tool would.
LTS_DUCKDB = "duckdb==1.4.4"
LTS_DUCKDB_TARGET = VENV / "duckdb-1.4"


def _bin(name: str) -> Path:
    return VENV / "bin" / name


def _run(cmd: list[str | os.PathLike[str]], **kwargs: object) -> None:
    print("+ " + " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)  # type: ignore[arg-type]


def _pip_config(key: str) -> list[str]:
    """Values of one pip setting, so uv sees the same local indexes and wheels pip does.

    uv does not read pip's configuration; torch's CPU wheel is reached only through it.
    """
    result = subprocess.run(
        [sys.executable, "-m", "pip", "config", "get", key],
        capture_output=True,
        text=True,
    )
    return result.stdout.split() if result.returncode == 0 else []


def _index_args() -> list[str]:
    args: list[str] = []
    for link in _pip_config("global.find-links") or os.environ.get("PIP_FIND_LINKS", "").split():
        args += ["--find-links", link]
    for url in _pip_config("global.extra-index-url"):
        args += ["--extra-index-url", url]
    # Several indexes carry the same names; take the best match, not the first index.
    return args + ["--index-strategy", "unsafe-best-match"]


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in (LOCK, ROOT / "pyproject.toml"):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def setup() -> None:
    """Create .venv and install exactly the lock into it; a no-op when nothing changed."""
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"salespipe needs Python 3.11; this is {sys.version.split()[0]}.")
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        _install_lts_duckdb()
        print(f"Environment up to date: {VENV}")
        return
    if not _bin("python").exists():
        _run([sys.executable, "-m", "venv", VENV])
    if not _bin("uv").exists():
        _run([_bin("python"), "-m", "pip", "install", "--quiet", f"uv=={UV_VERSION}"])
    uv_pip = [_bin("uv"), "pip"]
    python = ["--python", _bin("python")]
    # Compiling bytecode at install time: without it imports are 2-4x slower here,
    # because PYTHONDONTWRITEBYTECODE is set on these machines.
    _run(uv_pip + ["sync", LOCK, *python, "--compile-bytecode", *_index_args()])
    _run(uv_pip + ["install", "--no-deps", "--editable", ROOT, *python, *_index_args()])
    _install_lts_duckdb()
    STAMP.write_text(_fingerprint())
    print(f"Environment ready: {VENV}")


def _install_lts_duckdb() -> None:
    """Put DuckDB 1.4 LTS into its own target folder (not on the venv's path), once."""
    marker = LTS_DUCKDB_TARGET / ".installed"
    if marker.exists() and marker.read_text() == LTS_DUCKDB:
        return
    _run(
        [_bin("uv"), "pip", "install", "--target", LTS_DUCKDB_TARGET, LTS_DUCKDB,
         "--python", _bin("python"), "--compile-bytecode", *_index_args()]
    )  # fmt: skip
    marker.write_text(LTS_DUCKDB)


def lock() -> None:
    """Re-resolve pyproject.toml (with the dev extra) into requirements.lock."""
    if not _bin("uv").exists():
        setup()
    _run(
        [
            _bin("uv"),
            "pip",
            "compile",
            ROOT / "pyproject.toml",
            "--extra",
            "dev",
            "--python-version",
            "3.11",
            *_index_args(),
            "-o",
            LOCK,
        ],
        cwd=ROOT,
    )


CHROMIUM = Path("/usr/bin/chromium")


def ensure_chromium() -> None:
    """Install Debian's Chromium for the browser tests (tests/browser) when it is missing.

    Only as root with apt-get; otherwise those tests say what is missing (and fail on CI).
    """
    if CHROMIUM.exists() or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
    try:
        if subprocess.run(install).returncode != 0:  # stale package lists: refresh, retry
            _run(["apt-get", "update"])
            _run(install)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"Could not install Chromium ({exc}); the browser tests will say so.", flush=True)


# The deployment test (tests/deploy/) runs docker-compose.yml's configuration natively on
# this machine's PostgreSQL and Redis: start them when installed but down.
SERVICES = {
    "PostgreSQL": (5432, "pg_ctlcluster", "pg_ctlcluster --skip-systemctl-redirect "
                   "$(ls /etc/postgresql) main start"),
    "Redis": (6379, "redis-server", "redis-server --daemonize yes --bind 127.0.0.1 -::1 "
              "--port 6379 --save '' --appendonly no --dir /var/lib/redis "
              "--logfile /var/log/redis/ci.log"),
}  # fmt: skip


def ensure_services() -> None:
    """Make sure PostgreSQL and Redis answer on 127.0.0.1, starting them if installed."""
    import shutil
    import socket
    import time

    def up(port: int) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                return True
        except OSError:
            return False

    for name, (port, program, start) in SERVICES.items():
        if up(port):
            continue
        if shutil.which(program) is None:
            print(f"{name} is not installed: the deployment tests will skip (or fail in CI).")
            continue
        print(f"Starting {name}: {start}", flush=True)
        subprocess.run(start, shell=True, check=False)
        for _ in range(30):
            if up(port):
                break
            time.sleep(1)
        else:
            print(f"{name} did not come up on 127.0.0.1:{port}.")


def _exec(program: str, *args: str) -> None:
    env = dict(os.environ)
    env["PATH"] = f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    os.chdir(ROOT)
    os.execve(_bin(program), [program, *args], env)


def main(argv: list[str]) -> None:
    command, rest = (argv[0], argv[1:]) if argv else ("setup", [])
    if command == "setup":
        setup()
    elif command == "lock":
        lock()
    elif command == "demo":
        setup()
        _exec("salespipe", "demo", *rest)
    elif command == "test":
        setup()
        ensure_chromium()
        ensure_services()
        # Two workers: much of a night is a process waiting on another (Airflow, dbt,
        # a server starting), so the second core would sit idle. tests/conftest.py's
        # scheduler keeps each shared fixture on one worker. Pass -n 0 to run serially.
        workers = [] if any(arg == "-n" or arg.startswith("-n") for arg in rest) else ["-n", "2"]
        _exec("pytest", *workers, *rest)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
