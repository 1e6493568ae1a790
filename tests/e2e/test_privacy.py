"""End to end: a person planted in the CRM's deliveries goes through a night (the shared
night, tests/nights.py); `salespipe privacy erase` then removes every trace of them from
every file under the install, keeps them out of a re-delivery, and logs itself; and every
file a night creates is private."""

from __future__ import annotations

import getpass
import grp
import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from nights import (
    BUSINESS_DATE,
    LEAD_HEADER,
    PLANTED_EMAIL,
    PLANTED_FIRST,
    PLANTED_LAST,
    PLANTED_LEAD_ID,
    PLANTED_PHONE,
    planted_lead_row,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SALESPIPE = str(Path(sys.executable).with_name("salespipe"))
LEAD_ID, EMAIL = PLANTED_LEAD_ID, PLANTED_EMAIL
FIRST, LAST, PHONE = PLANTED_FIRST, PLANTED_LAST, PLANTED_PHONE


def salespipe(home: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "SALESPIPE_HOME": str(home), **(env or {})}
    environment.pop("SALESPIPE_LANDING", None)
    return subprocess.run(
        [SALESPIPE, *args], env=environment, capture_output=True, text=True, timeout=1800
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def night(shared_night):
    """The shared night (tests/nights.py), which has the planted person (nights.plant)
    in its deliveries and ran with the BI group set, if the machine has one. These tests
    erase the person; the next module gets the night back as built."""
    env = {"SALESPIPE_BI_GROUP": "", **shared_night.env}
    return shared_night.home, env, shared_night.run_output, set(shared_night.written)


def needles() -> dict[str, bytes]:
    """The person's email and name in the encodings a file might hold them in."""
    found: dict[str, bytes] = {}
    for text in (EMAIL, f"{FIRST} {LAST}", LAST, PHONE):
        for variant in {text, text.lower(), text.upper()}:
            for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le"):
                found[f"{variant!r} {encoding}"] = variant.encode(encoding)
    return found


def traces(root: Path, exclude: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Files under ``root`` holding one of the needles: path -> which needles."""
    hits: dict[str, list[str]] = {}
    patterns = needles()
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        if not path.is_file() or path.is_symlink() or relative.startswith(exclude):
            continue
        data = path.read_bytes()
        lowered = data.lower()
        names = [name for name, raw in patterns.items() if raw in data or raw.lower() in lowered]
        if names:
            hits[relative] = names
    return hits


def work(home: Path, sql: str, params=()):
    with duckdb.connect(str(home / "warehouse" / "work" / "salespipe_work.duckdb")) as con:
        return con.execute(sql, list(params)).fetchall()


def published(home: Path, sql: str, params=()):
    with duckdb.connect(str(home / "warehouse" / "salespipe.duckdb"), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_every_file_a_night_creates_is_private_and_the_published_one_is_for_bi(night):
    home, env, out, written = night
    group = env["SALESPIPE_BI_GROUP"]
    published_file = home / "warehouse" / "salespipe.duckdb"
    open_to_bi = {home, home / "warehouse", published_file}
    loose = []
    for path in [home, *home.rglob("*")]:
        if path.is_symlink() or path in open_to_bi or path in written:
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            loose.append(f"{path.relative_to(home)} {oct(mode)}")
    assert loose == []
    assert stat.S_IMODE(published_file.stat().st_mode) == (0o640 if group else 0o600)
    for folder in (home, home / "warehouse"):
        assert stat.S_IMODE(folder.stat().st_mode) == (0o710 if group else 0o700)
    if group:
        assert grp.getgrgid(published_file.stat().st_gid).gr_name == group
    password = home / "secrets" / "airflow_passwords.json"
    assert stat.S_IMODE(password.stat().st_mode) == 0o600
    secret = password.read_text().split('"')[3]
    assert secret not in out  # salespipe run never printed it
    logs = [p for p in (home / "logs").rglob("*") if p.is_file()]
    assert logs and not [p for p in logs if secret in p.read_text(errors="replace")]


def test_erase_removes_every_trace_of_the_person_from_every_file(night):
    home, env, *_ = night
    landing = ("landing/",)  # the CRM's deliveries: erased at the source (docs/privacy.md)
    before = traces(home, exclude=landing)
    # The positive control: the search sees the person where a night put them.
    assert any(p.startswith("warehouse/work/") for p in before), before
    assert published(home, "select count(*) from ml.lead_scores where lead_id = ?", [LEAD_ID])
    actions_of_the_lead = (
        "select count(*) from ml.next_best_actions where entity_type = 'lead' and entity_id = ?"
    )
    assert published(home, actions_of_the_lead, [LEAD_ID]) != [(0,)]
    # The lead model's drift references (the deal model's hold deals, no lead_id).
    reference = [
        p for p in (home / "mlflow" / "artifacts").rglob("reference.parquet")
        if "lead_id" in pq.read_schema(p).names
    ]  # fmt: skip
    assert reference and any(
        duckdb.sql(f"select count(*) from '{p}' where lead_id = '{LEAD_ID}'").fetchall()[0][0]
        for p in reference
    )

    dry = ok(salespipe(home, "privacy", "erase", "--email", EMAIL.upper(), "--dry-run", env=env))
    assert "Dry run for 1 lead(s);" in dry and "raw.leads" in dry and "ml.lead_scores" in dry
    assert "reference/reference.parquet" in dry
    assert work(home, "select count(*) from raw.leads where lead_id = ?", [LEAD_ID]) == [(2,)]

    out = ok(salespipe(home, "privacy", "erase", "--email", EMAIL, env=env))
    assert "Erased 1 lead(s);" in out
    assert traces(home, exclude=landing) == {}
    for table in ("raw.leads", "raw.activities", "marts.lead_features", "marts.lead_outcomes",
                  "ml.lead_scores", "quarantine.leads"):  # fmt: skip
        assert work(home, f"select count(*) from {table} where lead_id = ?", [LEAD_ID]) == [(0,)]
    for path in reference:
        left = duckdb.sql(f"select count(*) from '{path}' where lead_id = '{LEAD_ID}'")
        assert left.fetchall() == [(0,)]
    assert published(home, "select count(*) from ml.lead_scores where lead_id = ?", [LEAD_ID]) == [
        (0,)
    ]  # fmt: skip
    assert work(home, actions_of_the_lead, [LEAD_ID]) == [(0,)]
    assert published(home, actions_of_the_lead, [LEAD_ID]) == [(0,)]

    log = published(
        home, "select erased_by, identifier_hashes, leads_found, location, rows "
        "from monitoring.erasures order by location"
    )  # fmt: skip
    locations = {row[3]: row[4] for row in log}
    assert locations["raw.leads"] == 2 and locations["raw.activities"] == 2
    assert locations["quarantine.leads"] == 2  # the malformed email and the unreadable line
    assert {row[0] for row in log} == {getpass.getuser()}
    assert all(len(row[1]) == 1 and len(row[1][0]) == 64 for row in log)  # one hash, no email

    # the erasure republished: the audit log BI reads has every action so far
    audit = published(home, "select action, actor, outcome from monitoring.audit_log")
    actions = {row[0] for row in audit}
    assert {"salespipe generate", "salespipe run", "salespipe privacy erase", "dag run",
            "training", "erasure"} <= actions  # fmt: skip
    assert ("dag run", "dag_test", "success") in audit  # airflow dags test, as Airflow knows it
    assert EMAIL.lower() not in str(audit).lower()


def test_a_re_delivery_of_an_erased_person_is_quarantined_with_no_values(night):
    home, env, *_ = night
    redelivery = home / "landing" / "leads" / BUSINESS_DATE.isoformat() / "zz_again.csv"
    redelivery.write_text(LEAD_HEADER + planted_lead_row(f"{BUSINESS_DATE}T08:00:00Z", "working"))
    try:  # the ingest step of a night, on its own: the rest of a night is not under test
        ok(salespipe(home, "ingest", "--landing", str(home / "landing"),
                     "--up-to", BUSINESS_DATE.isoformat(), env=env))  # fmt: skip
    finally:
        redelivery.unlink()
    rows = work(
        home,
        "select lead_id, email, first_name, _rules, _detail from quarantine.leads "
        "where _source_file = ?",
        [f"leads/{BUSINESS_DATE}/zz_again.csv"],
    )
    assert rows == [(None, None, None, ["erased"], "an erased person: no values kept")]
    assert work(home, "select count(*) from raw.leads where lead_id = ?", [LEAD_ID]) == [(0,)]
    assert published(home, "select count(*) from ml.lead_scores where lead_id = ?", [LEAD_ID]) == [
        (0,)
    ]  # fmt: skip
    assert traces(home, exclude=("landing/",)) == {}


def test_erase_needs_someone_to_erase_and_a_real_email(night):
    home, env, *_ = night
    result = salespipe(home, "privacy", "erase", "--email", "nobody", env=env)
    assert result.returncode == 1
    assert "'nobody' is not an email address (expected name@domain.tld)." in result.stderr
    result = salespipe(home, "privacy", "erase", env=env)
    assert result.returncode == 2
    assert "say whom to erase: --lead-id ID... and/or --email ADDRESS..." in result.stderr
