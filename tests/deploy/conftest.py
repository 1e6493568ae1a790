"""The deployment tests need this machine's PostgreSQL and Redis.

Without them the native-stack tests skip, saying what is missing; with
``SALESPIPE_REQUIRE_SERVICES=1`` (which ``.ci/run`` sets) or ``CI=true``, a missing
service fails them instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import socket

import pytest

SERVICES = {"PostgreSQL": ("127.0.0.1", 5432), "Redis": ("127.0.0.1", 6379)}


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def services_required() -> bool:
    return os.environ.get("SALESPIPE_REQUIRE_SERVICES") == "1" or (
        os.environ.get("CI", "").lower() == "true"
    )


@pytest.fixture(scope="session")
def local_services() -> None:
    """Skip (or, when services are required, fail) unless PostgreSQL and Redis answer."""
    missing = [
        f"{name} on {host}:{port}"
        for name, (host, port) in SERVICES.items()
        if not _reachable(host, port)
    ]
    if missing:
        message = (
            "The native deployment test needs " + " and ".join(missing) + ", which did not "
            "answer. `python3 dev.py test` starts them when they are installed "
            "(docs/deployment.md, 'Testing the deployment')."
        )
        if services_required():
            pytest.fail(message + " SALESPIPE_REQUIRE_SERVICES=1 or CI=true: failing.")
        pytest.skip(message)
