"""Stopping the servers salespipe starts, and every process they start in turn."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable

STOP_TIMEOUT_SECONDS = 30.0


def serve_until_stopped(
    commands: dict[str, tuple[list[str], dict[str, str]]],
    say: Callable[[str], None],
    on_tick: Callable[[], None] | None = None,
) -> int:
    """Run each named command (its own process group) until SIGINT or SIGTERM, or until one
    exits; then stop every process of every group.

    Returns:
        0 after a requested stop, 1 when a command exited on its own.
    """
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    processes: dict[str, subprocess.Popen[str]] = {}
    exit_code = 0
    try:
        for name, (command, env) in commands.items():
            processes[name] = _start(name, command, env, say)
        while not stop.wait(0.5):
            exited = [name for name, process in processes.items() if process.poll() is not None]
            if exited:
                say(f"salespipe | {', '.join(exited)} exited; stopping.")
                exit_code = 1
                break
            if on_tick:
                on_tick()
    finally:
        say("salespipe | stopping every process ...")
        stop_process_groups(list(processes.values()))
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        say("salespipe | stopped.")
    return exit_code


def _start(
    name: str, command: list[str], env: dict[str, str], say: Callable[[str], None]
) -> subprocess.Popen[str]:
    # Its own session: a terminal's Ctrl-C reaches only salespipe, which stops the groups;
    # and the group id finds every child a server leaves behind.
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )

    def relay() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            say(f"{name:>13} | {line.rstrip()}")

    threading.Thread(target=relay, daemon=True).start()
    return process


def stop_process_groups(
    processes: list[subprocess.Popen[str]], timeout: float = STOP_TIMEOUT_SECONDS
) -> None:
    """SIGTERM every process group, wait up to ``timeout`` s, then SIGKILL what is left.

    Each process leads its own group (``start_new_session``), so the group id also reaches
    the children it started (executor workers, API server workers), even once the leader
    has exited.
    """
    for process in processes:
        _signal_group(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for process in processes:
        _signal_group(process.pid, signal.SIGKILL)
        process.wait()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
