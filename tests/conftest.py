"""Shared test setup: every test gets its own SALESPIPE_HOME and no telemetry leaves; the
shared night (``shared_night``, see tests/nights.py) is built once per session."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Set before anything imports evidently, mlflow or dbt.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


class BiReader:
    """A BI tool in another process, holding a DuckDB file open read-only.

    DuckDB's file lock is per process, so only a second process shows whether the
    nightly run can be blocked by, or half-seen by, a reader.
    """

    SCRIPT = (
        "import sys, duckdb\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "for line in sys.stdin:\n"
        "    print(con.execute(line).fetchone()[0], flush=True)\n"
    )

    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", self.SCRIPT, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def query(self, sql: str) -> str:
        """The first column of the first row, as text."""
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(sql + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture
def open_bi_reader() -> Iterator[Callable[[Path], BiReader]]:
    """Open readers on demand; every one is closed when the test ends."""
    readers: list[BiReader] = []

    def open_reader(path: Path) -> BiReader:
        readers.append(BiReader(path))
        return readers[-1]

    yield open_reader
    for reader in readers:
        reader.close()


# DuckDB 1.4 LTS, the line BI drivers ship, installed by `dev.py setup` beside the venv.
LTS_DUCKDB = Path(sys.prefix) / "duckdb-1.4"


@pytest.fixture
def duckdb_lts() -> Callable[[Path, str], list[list[object]]]:
    """:func:`query_with_duckdb_lts`, for tests."""
    return query_with_duckdb_lts


def query_with_duckdb_lts(path: Path, sql: str) -> list[list[object]]:
    """Rows of ``sql`` on the file at ``path``, read by DuckDB 1.4 LTS in its own process
    (that folder first on sys.path), as a BI driver would; values come back as text."""
    assert (LTS_DUCKDB / "duckdb").is_dir(), f"no DuckDB 1.4 in {LTS_DUCKDB}: python3 dev.py setup"
    script = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(LTS_DUCKDB)!r})\n"
        "import duckdb\n"
        "assert duckdb.__version__.startswith('1.4.'), duckdb.__version__\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "print(json.dumps(con.execute(sys.argv[2]).fetchall(), default=str))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path), sql], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    import json

    return json.loads(result.stdout)


# Under pytest-xdist (``dev.py test`` runs two workers), a session or module fixture is
# built once per worker that runs a test needing it. So the tests are handed out in
# groups that keep each such fixture on one worker: every module of the shared night in
# one group (one build of the night, not two), the other folders whose conftest holds
# session fixtures each in one group, and every other module in a group of its own (its
# module fixtures, such as its own night). xdist's own ``loadgroup`` cannot do this under
# pytest 9, which no longer reads the node id xdist rewrites, so the grouping is a
# scheduler of our own that xdist asks for (it sees node ids only, not items).
TESTS_ROOT = Path(__file__).parent
SESSION_FIXTURE_FOLDERS = ("browser", "deploy", "serving", "unit/forecasting")


@functools.cache  # asked for every test, by collection and by the scheduler
def uses_shared_night(path: Path) -> bool:
    """A module that names the shared night, or whose folder's conftest does."""
    conftest = path.parent / "conftest.py"
    return any(
        "shared_night" in candidate.read_text()
        for candidate in (path, conftest)
        if candidate.is_file() and candidate != Path(__file__)
    )


def test_group(nodeid: str) -> str:
    """The group of the test ``nodeid`` (``tests/<module>::<name>``): see above."""
    module = nodeid.split("::")[0]
    path = TESTS_ROOT.parent / module
    if uses_shared_night(path):
        return "shared_night"
    folder = path.parent.relative_to(TESTS_ROOT).as_posix()
    return folder if folder in SESSION_FIXTURE_FOLDERS else module


test_group.__test__ = False  # a helper, not a test


# The groups that hold a night (or a server) go first: the scheduler hands groups out in
# collection order, and a group that takes minutes handed out last keeps the run waiting
# while the other worker idles (longest first, as in any list scheduling).
HEAVY_MARKERS = ("e2e", "browser", "deploy", "slow")


def pytest_collection_modifyitems(config, items):
    group = {item.nodeid: test_group(item.nodeid) for item in items}
    heavy = {
        group[item.nodeid]
        for item in items
        if any(item.get_closest_marker(marker) for marker in HEAVY_MARKERS)
    }
    items.sort(key=lambda item: group[item.nodeid] not in heavy)  # stable: order kept within


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return test_group(nodeid)

    # xdist would reorder the groups by their number of tests; keep the order above
    config.option.loadscopereorder = False
    return GroupScheduling(config, log)


@pytest.fixture(scope="session")
def shared_night(tmp_path_factory):
    """The one generated night the tests share: a ``nights.SharedNight`` (what it holds:
    tests/nights.py)."""
    import nights  # here, not at the top: after the telemetry switches above

    return nights.build_shared_night(tmp_path_factory.mktemp("shared_night"))


@pytest.fixture(scope="module", autouse=True)
def _shared_night_as_built() -> Iterator[None]:
    """Each test module starts from the shared night as built: after a module that
    changed anything under its home, the home is put back (tests/nights.py)."""
    yield
    import nights

    nights.restore_if_changed()
