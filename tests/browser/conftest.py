"""Browser smoke tests: Debian's Chromium, driven by Python Playwright, on one small night.

The night is the shared one (tests/nights.py: `salespipe run` of every nightly DAG through
Airflow, built once per session); the UIs these tests start write into its home, which
is put back as built after each module.
Chromium comes from Debian (`python3 dev.py test` installs it as root when missing);
Playwright never downloads a browser.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, Night, Server


@pytest.fixture(scope="session")
def night(shared_night) -> Night:
    """One small night: 1,500 leads over 200 days, run through Airflow (tests/nights.py)."""
    return Night(shared_night.home, shared_night.business_date)


@pytest.fixture
def start_server(tmp_path) -> Iterator:
    servers: list[Server] = []

    def start(argv: list[str], env: dict[str, str]) -> Server:
        servers.append(Server(argv, env, tmp_path / f"server{len(servers)}.log"))
        return servers[-1]

    yield start
    for server in servers:
        server.kill()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium. Missing: a clear failure on CI (CI=true), a skip elsewhere."""
    if not CHROMIUM.exists():
        message = (
            f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium. Install it "
            "with `apt-get install -y chromium` (`python3 dev.py test` does, as root)."
        )
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
