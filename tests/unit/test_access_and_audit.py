"""File modes (ml.access) and the audit log's sources (ml.audit), on small real files."""

from __future__ import annotations

import grp
import json
import os
import stat

import duckdb
import pytest

from ml.access import ensure_airflow_password, grant_readers, secure_home
from ml.audit import audit_file, audited, load_audit_log, record
from ml.privacy.identifiers import keyed_hash
from ml.settings import load_settings


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_published_file_is_opened_to_the_bi_group_only(tmp_path):
    group = grp.getgrgid(os.getgid()).gr_name
    settings = load_settings(
        {"SALESPIPE_HOME": str(tmp_path / "home"), "SALESPIPE_BI_GROUP": group}
    )
    settings.warehouse.parent.mkdir(parents=True)
    settings.warehouse.write_bytes(b"x")
    grant_readers(settings.warehouse, settings)
    assert mode(settings.warehouse) == 0o640
    assert mode(settings.warehouse.parent) == mode(settings.home) == 0o710
    assert settings.warehouse.stat().st_gid == os.getgid()

    private = load_settings({"SALESPIPE_HOME": str(tmp_path / "home")})
    grant_readers(settings.warehouse, private)
    assert (mode(settings.warehouse), mode(settings.home)) == (0o600, 0o700)
    wide = load_settings({"SALESPIPE_HOME": str(tmp_path / "home"),
                          "SALESPIPE_PUBLISHED_MODE": "644"})  # fmt: skip
    grant_readers(settings.warehouse, wide)
    assert (mode(settings.warehouse), mode(settings.home)) == (0o644, 0o711)


def test_bad_access_settings_are_refused_with_the_value(tmp_path):
    with pytest.raises(ValueError, match="SALESPIPE_PUBLISHED_MODE must be an octal file mode"):
        load_settings({"SALESPIPE_HOME": str(tmp_path), "SALESPIPE_PUBLISHED_MODE": "rw-r"})
    settings = load_settings({"SALESPIPE_HOME": str(tmp_path), "SALESPIPE_BI_GROUP": "no-such-g"})
    tmp_path.joinpath("f").write_text("")
    with pytest.raises(ValueError, match="names the group 'no-such-g', which does not exist"):
        grant_readers(tmp_path / "f", settings)


def test_an_older_install_is_closed_and_secrets_are_600(tmp_path):
    settings = load_settings({"SALESPIPE_HOME": str(tmp_path / "home")})
    settings.work_warehouse.parent.mkdir(parents=True, mode=0o755)
    settings.work_warehouse.write_text("")
    os.chmod(settings.home, 0o755)
    os.chmod(settings.work_warehouse, 0o644)
    secure_home(settings)
    assert mode(settings.home) == 0o700 and mode(settings.work_warehouse) == 0o600
    password = ensure_airflow_password(settings)
    assert mode(password) == 0o600 and json.loads(password.read_text())["admin"]
    assert ensure_airflow_password(settings).read_text() == password.read_text()  # kept


def test_the_audit_log_holds_commands_promotions_and_erasures_with_personal_data_hashed(
    tmp_path,
):
    settings = load_settings({"SALESPIPE_HOME": str(tmp_path / "home"), "SALESPIPE_PII_KEY": "k",
                              "SALESPIPE_ACTOR": "ana"})  # fmt: skip
    record(settings, "salespipe run", arguments={}, outcome="succeeded")  # no home: no row
    assert not settings.home.exists()
    settings.home.mkdir()
    with audited(settings, "salespipe privacy erase", {"emails": ["bo@x.org"], "dry_run": True}):
        pass
    with pytest.raises(RuntimeError), audited(settings, "salespipe run", {"business_date": "d"}):
        raise RuntimeError("the gate failed\nmore")
    record(settings, "salespipe models rollback", arguments={"reason": None}, outcome="succeeded")
    assert mode(audit_file(settings)) == 0o600
    assert "bo@x.org" not in audit_file(settings).read_text()

    with duckdb.connect() as con:
        con.execute("create schema monitoring")
        con.execute(
            "create table monitoring.model_promotions as select now()::timestamp as moved_at, "
            "null::date as run_date, 'lead_scoring' as model_name, 'champion' as alias, "
            "'refused' as action, '1' as from_version, '2' as to_version, "
            "'outside salespipe' as moved_by, 'no approval' as reason"
        )
        con.execute(
            "create table monitoring.erasures as select 'e1' as erasure_id, "
            "now()::timestamp as erased_at, 'dpo' as erased_by, ['h1'] as identifier_hashes, "
            "1 as leads_found, 'raw.leads' as location, 'deleted' as action, 3::bigint as rows"
        )
        assert load_audit_log(con, settings) == 5
        rows = con.execute(
            "select actor, action, arguments, outcome, source from monitoring.audit_log"
        ).fetchall()
    by_action = {r[1]: r for r in rows}
    assert by_action["salespipe privacy erase"][0] == "ana"
    assert json.loads(by_action["salespipe privacy erase"][2])["emails"] == [
        f"keyed-sha256:{keyed_hash('k', 'bo@x.org')}"
    ]
    assert by_action["salespipe run"][3] == "failed: the gate failed"
    assert by_action["promotion refused"][3:] == ("no approval", "registry")
    assert by_action["erasure"][:2] == ("dpo", "erasure")
    assert by_action["erasure"][3] == "succeeded: 3 rows removed"
