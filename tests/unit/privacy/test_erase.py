"""Erasure on a small working warehouse: the person's rows go, their file counts still add
up, they go on the suppression list, and a re-delivery is quarantined with no values."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from ml.privacy.steps import erase_people
from ml.privacy.suppression import use_pii_key
from ml.settings import load_settings
from ml.warehouse.ingest import ingest_landing_zone

LEADS = "lead_id,created_at,updated_at,source,status,email,first_name\n"
ANA = "L1,2024-01-01T09:00:00Z,{updated},web,open,{email},Ana\n"
BOB = "L2,2024-01-01T10:00:00Z,2024-01-01T10:00:00Z,web,open,bob@example.org,Bob\n"
ACTIVITIES = "activity_id,occurred_at,activity_type,lead_id\n"
OPPORTUNITIES = (
    "opportunity_id,account_id,created_at,updated_at,stage,amount,close_date,lead_id\n"
    "O1,A1,2024-01-02T00:00:00Z,2024-01-02T00:00:00Z,prospecting,100,2024-03-01,L1\n"
)


def write(landing: Path, relative: str, text: str) -> None:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def install(tmp_path: Path):
    landing = tmp_path / "home" / "landing"
    write(
        landing,
        "leads/2024-01-01/leads.csv",
        LEADS + ANA.format(updated="2024-01-01T09:00:00Z", email=" Ana@Example.org") + BOB,
    )
    write(
        landing,
        "leads/2024-01-02/leads.csv",  # a quarantined version: malformed email
        LEADS + ANA.format(updated="2024-01-02T09:00:00Z", email="ana at example.org"),
    )
    write(
        landing,
        "activities/2024-01-02/activities.csv",
        ACTIVITIES + "A1,2024-01-02T10:00:00Z,call,L1\nA2,2024-01-02T11:00:00Z,call,L2\n",
    )
    write(landing, "opportunities/2024-01-02/opportunities.csv", OPPORTUNITIES)  # fmt: skip
    settings = load_settings({"SALESPIPE_HOME": str(tmp_path / "home"), "SALESPIPE_PII_KEY": "k"})
    settings.work_warehouse.parent.mkdir(parents=True)
    ingest(settings, date(2024, 1, 2))
    return settings


def ingest(settings, business_date):
    with duckdb.connect(str(settings.work_warehouse)) as con:
        use_pii_key(con, settings.pii_key())
        return ingest_landing_zone(con, settings.landing, up_to=business_date)


def rows(settings, sql, params=()):
    with duckdb.connect(str(settings.work_warehouse)) as con:
        return con.execute(sql, list(params)).fetchall()


def reconciliation(settings):
    """Per file: delivered, loaded + quarantined, rows in raw, rows in quarantine."""
    return rows(
        settings,
        "select f.path, f.rows_delivered, f.row_count + f.rows_quarantined, "
        "(select count(*) from raw.leads r where r._source_file = f.path) "
        "+ (select count(*) from raw.activities r where r._source_file = f.path) "
        "+ (select count(*) from raw.opportunities r where r._source_file = f.path), "
        "(select count(*) from quarantine.leads q where q._source_file = f.path) "
        "+ (select count(*) from quarantine.activities q where q._source_file = f.path), "
        "f.row_count, f.rows_quarantined from raw._ingested_files f order by 1",
    )


def test_a_dry_run_lists_what_would_go_and_changes_nothing(install):
    before = rows(install, "select count(*) from raw.leads")
    report = erase_people(install, emails=["ana@example.org"], dry_run=True)
    assert report.lead_ids == ["L1"]
    assert report.rows == {"quarantine.leads": 1, "raw.activities": 1, "raw.leads": 1,
                           "raw.opportunities": 1}  # fmt: skip
    assert rows(install, "select count(*) from raw.leads") == before
    assert not install.work_warehouse.with_name("privacy").exists()


def test_erasing_by_email_finds_the_lead_through_the_keyed_hash_and_keeps_counts_true(install):
    report = erase_people(install, emails=["ANA@example.org "], actor="dpo")
    assert report.lead_ids == ["L1"]
    assert rows(install, "select lead_id from raw.leads") == [("L2",)]
    assert rows(install, "select lead_id from raw.activities") == [("L2",)]
    assert rows(install, "select opportunity_id, lead_id from raw.opportunities") == [("O1", None)]
    quarantined = rows(
        install, "select lead_id, email, first_name, _raw_line, _rules, _detail "
        "from quarantine.leads order by _source_file"
    )  # fmt: skip
    assert quarantined == [
        (None, None, None, None, ["erased"], "an erased person: no values kept"),
        (None, None, None, None, ["email_malformed", "erased"], "an erased person: no values kept"),
    ]
    for path, delivered, accounted, in_raw, in_quarantine, loaded, held in reconciliation(install):
        assert delivered == accounted and (loaded, held) == (in_raw, in_quarantine), path
    log = rows(install, "select erased_by, identifier_hashes, leads_found, location, rows "
               "from monitoring.erasures order by location")  # fmt: skip
    assert [(r[3], r[4]) for r in log] == [
        ("quarantine.leads", 1), ("raw.activities", 1), ("raw.leads", 1), ("raw.opportunities", 1)
    ]  # fmt: skip
    assert {r[0] for r in log} == {"dpo"} and {r[2] for r in log} == {1}
    assert "ana" not in str(log).lower()
    # the rewrite left one file, no WAL, no temporary copy
    assert sorted(p.name for p in install.work_warehouse.parent.iterdir()) == [
        "salespipe_work.duckdb"
    ]


def test_a_re_delivery_of_an_erased_person_is_quarantined_without_values(install):
    erase_people(install, lead_ids=["L1"])
    write(
        install.landing,
        "leads/2024-01-03/leads.csv",
        LEADS + ANA.format(updated="2024-01-03T09:00:00Z", email="ana@example.org") + BOB,
    )
    write(
        install.landing,
        "leads/2024-01-04/leads.csv",  # a new id, the same email
        LEADS
        + ANA.replace("L1", "L9").format(updated="2024-01-04T09:00:00Z", email="ana@example.org"),
    )
    write(
        install.landing,
        "activities/2024-01-03/activities.csv",
        ACTIVITIES + "A3,2024-01-03T10:00:00Z,call,L1\n",
    )
    changed = OPPORTUNITIES.replace("02T00:00:00Z,prospecting", "03T00:00:00Z,proposal")
    write(install.landing, "opportunities/2024-01-03/opportunities.csv", changed)
    summary = ingest(install, date(2024, 1, 4))
    assert summary.rows_quarantined == {"leads": 2, "activities": 1, "opportunities": 0}
    assert rows(install, "select lead_id from raw.leads order by all") == [("L2",), ("L2",)]
    assert rows(
        install, "select lead_id, email, first_name, _rules from quarantine.leads "
        "where _source_file in ('leads/2024-01-03/leads.csv', 'leads/2024-01-04/leads.csv')"
    ) == [(None, None, None, ["erased"])] * 2  # fmt: skip
    assert rows(install, "select lead_id from raw.opportunities order by updated_at") == [
        (None,), (None,)
    ]  # fmt: skip
    for path, delivered, accounted, in_raw, in_quarantine, loaded, held in reconciliation(install):
        assert delivered == accounted and (loaded, held) == (in_raw, in_quarantine), path
    rules = rows(install, "select path, rows from raw._ingested_file_rules where rule = 'erased' "
                 "and path like '%01-0_/leads.csv' order by 1")  # fmt: skip
    assert rules[-2:] == [("leads/2024-01-03/leads.csv", 1), ("leads/2024-01-04/leads.csv", 1)]


def test_nobody_to_erase_is_refused(install):
    with pytest.raises(ValueError, match="Say whom to erase"):
        erase_people(install)
