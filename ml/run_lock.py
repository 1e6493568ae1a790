"""One nightly run at a time per install: a lock file that says who holds it.

Two runs on one install would write the same working warehouse, the same MLflow store
and the same Airflow database (today that ends in SQLite's "FOREIGN KEY constraint
failed"). ``salespipe run`` takes an exclusive ``flock`` on ``<home>/run.lock`` and
writes into it which run holds it, for which date, from which process and since when.
The kernel releases a ``flock`` when the last process holding it ends, so a run killed
with ``kill -9`` never leaves a lock that blocks the next one: the next run finds the
file's content without a lock on it, says it released a stale lock, and goes on. The
Airflow processes a run starts inherit the lock, so an orphaned ``airflow dags test``
still counts as the run.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from ml.settings import Settings

log = logging.getLogger(__name__)


class RunLockedError(RuntimeError):
    """Another run holds the install; the message names it and since when."""


@dataclass(frozen=True)
class RunLock:
    """The held lock: its file descriptor (passed on to child processes) and the run."""

    fd: int
    run_id: str
    log_dir: Path


def new_run_id(business_date: date) -> str:
    """``<business date>_<UTC start>_<pid>``: unique per run, sortable by start."""
    return f"{business_date}_{datetime.now(UTC):%Y%m%dT%H%M%SZ}_{os.getpid()}"


@contextmanager
def hold_run_lock(settings: Settings, business_date: date, run_id: str) -> Iterator[RunLock]:
    """Hold the install's run lock for the duration of the block.

    Raises:
        RunLockedError: another run holds it.
    """
    path = settings.run_lock
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read(fd)
        os.close(fd)
        raise RunLockedError(
            f"Another salespipe run holds this install ({settings.home}): run "
            f"{holder.get('run_id', '?')} for business date {holder.get('business_date', '?')}, "
            f"started by pid {holder.get('pid', '?')} at {holder.get('since', '?')} "
            f"(log: {holder.get('log_dir', '?')}). Only one run at a time may use an install; "
            "wait for it to finish (a killed run releases the lock by itself)."
        ) from None
    previous = _read(fd)
    if previous:
        log.warning(
            "released the stale run lock of run %s (pid %s, since %s): that run was killed",
            previous.get("run_id"), previous.get("pid"), previous.get("since"),
        )  # fmt: skip
    log_dir = settings.run_logs / run_id
    _write(fd, {"run_id": run_id, "business_date": business_date.isoformat(), "pid": os.getpid(),
                "since": datetime.now(UTC).isoformat(timespec="seconds"),
                "log_dir": str(log_dir)})  # fmt: skip
    try:
        yield RunLock(fd, run_id, log_dir)
    finally:
        _write(fd, {})
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _read(fd: int) -> dict:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 65536).decode(errors="replace").strip()
    try:
        return json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {"run_id": text[:80]}


def _write(fd: int, content: dict) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    if content:
        os.write(fd, json.dumps(content).encode())
    os.fsync(fd)
