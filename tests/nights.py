"""The shared night: one small generated night, built once per test session, that every
test able to read the same night reads. Never build another night in a test module
(HELPERS.md): use this one.

Fixture ``shared_night`` (tests/conftest.py, session scope) gives a :class:`SharedNight`:

- ``home``: its SALESPIPE_HOME, holding
  ``salespipe generate --out home/landing --leads 1500 --days 200`` (default seed, days
  2024-01-01 to 2024-07-18), one planted person added to those deliveries (``PLANTED_*``
  and :func:`plant`, which tests/e2e/test_privacy.py erases), the settings
  :data:`CONFIG`, and then ``salespipe run --date 2024-07-18``: every nightly DAG through
  Airflow (the warehouse and its publication; lead scoring trains, promotes v1 and
  scores; the revenue forecast, without the LSTM), with ``SALESPIPE_BI_GROUP`` set to a
  group of this machine when there is one.
- ``business_date`` (2024-07-18), ``run_output`` (what ``salespipe run`` printed),
  ``env`` (the night's environment: give it to further ``salespipe`` commands),
  ``written`` (the files the test wrote into the home, as a CRM or a user would: not
  files the install made), ``settings``; helpers :meth:`SharedNight.salespipe`,
  :meth:`SharedNight.published` and :meth:`SharedNight.work`.

A test may change the night: promote a model, rescore a date, erase a person, start a
UI that writes into the home. When each test *module* ends, tests/conftest.py puts the
home back as it was built if anything under it changed (a file added, removed, written
or chmodded), from a copy taken after the build, at the same path: MLflow's and
Airflow's SQLite stores hold absolute paths, so a copy elsewhere would not be the same
install; and MLflow's cached connections in the test process are closed, so they read the
restored store, not the replaced file. So every module starts from the night as built;
within a module, order the tests (readers before writers) as they need. A restore costs
a few seconds: only what changed is copied back.
"""

from __future__ import annotations

import grp
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from ml.settings import Settings, load_settings

SALESPIPE = str(Path(sys.executable).with_name("salespipe"))
BUSINESS_DATE = date(2024, 7, 18)  # day 200 from 2024-01-01
LEADS, DAYS = 1500, 200
# Small data: the lead and deal models' minimums and size scaled down with it; no LSTM forecaster
# (not under test on this night, and the slowest part of a forecast).
CONFIG = """\
lead_scoring:
  label_window_days: 60
  min_mature_leads: 300
  min_converted_leads: 40
  min_comparison_rows: 50
  xgboost: {n_estimators: 60}
forecasting: {use_lstm: false}
opportunity_scoring:  # a few hundred deals: Einstein's minimum scaled down with them
  min_won_deals: 20
  min_lost_deals: 20
  maturity_days: 60
"""

# The planted person (tests/e2e/test_privacy.py): a lead with personal data in two
# versions, a quarantined version, an unreadable line and two activities naming them.
PLANTED_LEAD_ID = "L90000001"
PLANTED_EMAIL = "Zebulon.Quixotewright@planted-example.org"
PLANTED_FIRST, PLANTED_LAST = "Zebulon", "Quixotewright"
PLANTED_PHONE = "+44 7700 900123"
LEAD_HEADER = (
    "lead_id,created_at,updated_at,source,status,email,first_name,last_name,phone,company,"
    "title,country,industry,employees,owner_rep_id\n"
)


def planted_lead_row(updated_at: str, status: str, email: str = PLANTED_EMAIL) -> str:
    """One CSV line (with its newline) of the planted lead."""
    return (
        f"{PLANTED_LEAD_ID},2024-01-10T09:00:00Z,{updated_at},web,{status},{email},"
        f'{PLANTED_FIRST},{PLANTED_LAST},"{PLANTED_PHONE}",{PLANTED_LAST} Ltd,CTO,GB,software,'
        "120,R0001\n"
    )


def plant(landing: Path) -> list[Path]:
    """Write the planted person into ``landing``, as the CRM would: two versions of the
    lead, a quarantined row (malformed email), an unreadable line holding their id and
    email, and activities naming them. Returns the files written."""
    first, last, email = PLANTED_FIRST, PLANTED_LAST, PLANTED_EMAIL
    files = {
        "leads/2024-01-10/zz_planted.csv": LEAD_HEADER
        + planted_lead_row("2024-01-10T09:00:00Z", "open"),
        "leads/2024-02-20/zz_planted.csv": LEAD_HEADER
        + planted_lead_row("2024-02-20T10:00:00Z", "working"),
        "leads/2024-02-21/zz_planted.csv": LEAD_HEADER
        + planted_lead_row(
            "2024-02-21T10:00:00Z", "working", email="zebulon at planted-example.org"
        )
        + f"{PLANTED_LEAD_ID},{email},{first} {last},broken line\n",
        "activities/2024-01-12/zz_planted.csv": (
            "activity_id,occurred_at,activity_type,lead_id,channel,duration_seconds,subject\n"
            f"A99000001,2024-01-12T10:00:00Z,call,{PLANTED_LEAD_ID},phone,300,"
            f"Call with {first} {last}\n"
            f"A99000002,2024-01-12T11:00:00Z,email,{PLANTED_LEAD_ID},email,0,Mail to {email}\n"
        ),
    }
    for relative, text in files.items():
        path = landing / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return [landing / relative for relative in files]


def bi_group() -> str | None:
    """A group of this machine for SALESPIPE_BI_GROUP, or None."""
    for name in ("users", "staff", "nogroup"):
        try:
            grp.getgrnam(name)
            return name
        except KeyError:
            continue
    return None


@dataclass(frozen=True)
class SharedNight:
    home: Path
    business_date: date
    run_output: str
    env: dict[str, str]
    written: frozenset[Path]
    snapshot: Path = field(repr=False)

    @property
    def settings(self) -> Settings:
        return load_settings({"SALESPIPE_HOME": str(self.home), **self.env})

    def salespipe(self, *args: str, timeout: int = 1800) -> subprocess.CompletedProcess[str]:
        """``salespipe ARGS`` on this night (not checked: look at returncode)."""
        environment = {**os.environ, "SALESPIPE_HOME": str(self.home), **self.env}
        environment.pop("SALESPIPE_LANDING", None)
        return subprocess.run(
            [SALESPIPE, *args], env=environment, capture_output=True, text=True, timeout=timeout
        )

    def published(self, sql: str, params=()) -> list[tuple]:
        """Rows of ``sql`` on the published warehouse (what BI tools open)."""
        path = self.home / "warehouse" / "salespipe.duckdb"
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(sql, list(params)).fetchall()

    def work(self, sql: str, params=()) -> list[tuple]:
        """Rows of ``sql`` on the working warehouse."""
        path = self.home / "warehouse" / "work" / "salespipe_work.duckdb"
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(sql, list(params)).fetchall()


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def build_shared_night(root: Path) -> SharedNight:
    """Generate, plant and run the night under ``root`` (home and its pristine copy)."""
    home = root / "home"
    group = bi_group()
    env = {"SALESPIPE_BI_GROUP": group} if group else {}
    night = SharedNight(home, BUSINESS_DATE, "", env, frozenset(), root / "as_built")
    _ok(night.salespipe("generate", "--out", str(home / "landing"), "--leads", str(LEADS),
                        "--days", str(DAYS)))  # fmt: skip
    (home / "salespipe.yml").write_text(CONFIG)
    written = frozenset({home / "salespipe.yml", *plant(home / "landing")})
    out = _ok(night.salespipe("run", "--date", BUSINESS_DATE.isoformat()))
    night = SharedNight(home, BUSINESS_DATE, out, env, written, root / "as_built")
    _copy_tree(home, night.snapshot)
    _BUILT.append((night, signature(home)))
    return night


# The night built in this session and the signature of its home as built.
_BUILT: list[tuple[SharedNight, tuple]] = []


def signature(home: Path) -> tuple:
    """What changes when anything under ``home`` is added, removed, written or chmodded."""
    info = os.lstat(home)
    entries = [(str(home), info.st_mode, info.st_size, info.st_mtime_ns, info.st_gid)]
    for folder, dirs, files in os.walk(home):
        for name in [*dirs, *files]:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            entries.append((path, info.st_mode, info.st_size, info.st_mtime_ns, info.st_gid))
    return tuple(sorted(entries))


def restore_if_changed() -> bool:
    """Put the shared night's home back as built if anything under it changed; True if
    it did. A no-op when no test of this session built the night."""
    if not _BUILT:
        return False
    night, built = _BUILT[0]
    now = signature(night.home)
    if now == built:
        return False
    _put_back(night.home, night.snapshot, built, now)
    if signature(night.home) != built:  # something the file-by-file repair missed
        shutil.rmtree(night.home)
        _copy_tree(night.snapshot, night.home)
    assert signature(night.home) == built, "the shared night's home was not restored"
    _close_cached_mlflow_connections(night.home)
    return True


def _put_back(home: Path, snapshot: Path, built: tuple, now: tuple) -> None:
    """Repair ``home`` from ``snapshot`` file by file: remove what was added, copy back
    each file that was changed or removed (a new file, as a full copy would make), then
    give the folders their modes, group and times again. Much less to copy than the
    whole home, which is mostly the landing zone and never changes."""
    was = {entry[0]: entry for entry in built}
    current = {entry[0]: entry for entry in now}
    for path in sorted(set(current) - set(was), reverse=True):  # children first
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)
    folders = []
    for path in sorted(was):  # a folder before what is in it
        source = snapshot / Path(path).relative_to(home)
        if stat.S_ISDIR(was[path][1]):
            os.makedirs(path, exist_ok=True)
            folders.append((path, source))
        elif current.get(path) != was[path]:
            if os.path.lexists(path):
                os.unlink(path)
            shutil.copy2(source, path, follow_symlinks=False)
            info = os.lstat(source)
            os.chown(path, info.st_uid, info.st_gid, follow_symlinks=False)
    for path, source in reversed(folders):  # after their contents changed
        info = os.lstat(source)
        os.chown(path, info.st_uid, info.st_gid)
        os.chmod(path, stat.S_IMODE(info.st_mode))
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def _close_cached_mlflow_connections(home: Path) -> None:
    """MLflow keeps one SQLAlchemy engine per store URI for the life of this process, and
    its pooled connections keep the mlflow.db they opened: after a restore they would go
    on reading the replaced, deleted file (a champion the restore took away). Dispose of
    the engines on this home's store; the next use opens the file now at that path."""
    for name in (
        "mlflow.store.tracking.sqlalchemy_store",
        "mlflow.store.model_registry.sqlalchemy_store",
    ):
        module = sys.modules.get(name)  # not imported: nothing is cached
        if module is None:
            continue
        for engine in list(module.SqlAlchemyStore._engine_map.values()):
            if str(home) in str(engine.url):
                engine.dispose()


def _copy_tree(source: Path, target: Path) -> None:
    """Copy with modes, owner, group and times (``cp -a``), so that the copy's signature
    is the source's and the privacy tests see the modes and group the night set."""
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)
