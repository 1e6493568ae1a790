"""Ingest: bulk loading into raw, idempotency, repeated deliveries, replaced files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from ml.warehouse.ingest import ingest_landing_zone

LEADS_HEADER = "lead_id,created_at,updated_at,source,status,email,attr_budget_confirmed\n"


def write(landing: Path, rel: str, text: str | bytes) -> Path:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    write(
        root,
        "leads/2024-01-01/leads.csv",
        LEADS_HEADER
        + "L1,2024-01-01T09:00:00Z,2024-01-01T09:00:00Z,web,open,a@x.com,yes\n"
        + 'L2,2024-01-01T10:00:00Z,2024-01-01T10:00:00Z,referral,open,"b,c@x.com",\n',
    )
    write(
        root,
        "leads/2024-01-02/leads.csv",
        LEADS_HEADER + "L1,2024-01-01T09:00:00Z,2024-01-02T08:00:00Z,web,working,a@x.com,yes\n",
    )
    write(
        root, "accounts/2024-01-01/accounts.csv", "account_id,account_name,created_at,updated_at\n"
    )
    return root


@pytest.fixture
def con(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "work.duckdb")) as connection:
        yield connection


def table_snapshot(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return con.execute(f"select * exclude (_loaded_at) from raw.{table} order by all").fetchall()


def test_loads_every_row_as_text_with_lineage(con, landing):
    summary = ingest_landing_zone(con, landing)

    assert summary.rows_loaded == {"leads": 3, "accounts": 0}
    rows = con.execute(
        "select lead_id, status, email, _delivery_date, _source_file, _source_row "
        "from raw.leads order by _delivery_date, _source_row"
    ).fetchall()
    assert rows == [
        ("L1", "open", "a@x.com", date(2024, 1, 1), "leads/2024-01-01/leads.csv", 1),
        ("L2", "open", "b,c@x.com", date(2024, 1, 1), "leads/2024-01-01/leads.csv", 2),
        ("L1", "working", "a@x.com", date(2024, 1, 2), "leads/2024-01-02/leads.csv", 1),
    ]
    types = dict(
        con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema='raw' and table_name='leads'"
        ).fetchall()
    )
    assert types["created_at"] == "VARCHAR"
    assert types["attr_budget_confirmed"] == "VARCHAR"
    assert "converted_opportunity_id" in types  # every contract column exists from the start


def test_records_each_file_with_row_count_and_checksum(con, landing):
    ingest_landing_zone(con, landing)

    files = con.execute(
        "select path, row_count, status, length(sha256) from raw._ingested_files order by path"
    ).fetchall()
    assert files == [
        ("accounts/2024-01-01/accounts.csv", 0, "loaded", 64),
        ("leads/2024-01-01/leads.csv", 2, "loaded", 64),
        ("leads/2024-01-02/leads.csv", 1, "loaded", 64),
    ]


def test_reingesting_changes_nothing(con, landing):
    ingest_landing_zone(con, landing)
    before = (
        table_snapshot(con, "leads"),
        con.execute("select * from raw._ingested_files order by path").fetchall(),
    )

    again = ingest_landing_zone(con, landing)

    assert again.loaded == [] and again.unchanged == 3 and again.total_rows == 0
    after = (
        table_snapshot(con, "leads"),
        con.execute("select * from raw._ingested_files order by path").fetchall(),
    )
    assert after == before


def test_repeated_delivery_is_recorded_not_loaded_twice(con, landing):
    original = (landing / "leads/2024-01-01/leads.csv").read_bytes()
    write(landing, "leads/2024-01-03/leads__redelivery_2024-01-01.csv", original)

    summary = ingest_landing_zone(con, landing)

    assert summary.duplicates == ["leads/2024-01-03/leads__redelivery_2024-01-01.csv"]
    assert con.execute("select count(*) from raw.leads").fetchone() == (3,)
    assert con.execute(
        "select status, row_count from raw._ingested_files where path like '%redelivery%'"
    ).fetchone() == ("duplicate", 0)


def test_changed_file_replaces_its_earlier_rows(con, landing):
    ingest_landing_zone(con, landing)
    write(
        landing,
        "leads/2024-01-02/leads.csv",
        LEADS_HEADER + "L1,2024-01-01T09:00:00Z,2024-01-02T08:00:00Z,web,qualified,a@x.com,yes\n",
    )

    summary = ingest_landing_zone(con, landing)

    assert summary.replaced == ["leads/2024-01-02/leads.csv"]
    statuses = con.execute(
        "select status from raw.leads where _delivery_date = '2024-01-02'"
    ).fetchall()
    assert statuses == [("qualified",)]


def test_deliveries_after_the_business_date_wait(con, landing):
    summary = ingest_landing_zone(con, landing, up_to=date(2024, 1, 1))

    assert summary.rows_loaded == {"leads": 2, "accounts": 0}
    assert con.execute("select max(_delivery_date) from raw.leads").fetchone() == (
        date(2024, 1, 1),
    )


def test_new_custom_field_in_a_later_delivery_adds_a_column(con, landing):
    ingest_landing_zone(con, landing)
    write(
        landing,
        "leads/2024-01-05/leads.csv",
        "lead_id,created_at,updated_at,source,status,attr_region_hint\n"
        "L3,2024-01-05T09:00:00Z,2024-01-05T09:00:00Z,event,open,north\n",
    )

    ingest_landing_zone(con, landing)

    assert con.execute(
        "select attr_region_hint from raw.leads where lead_id = 'L3'"
    ).fetchone() == ("north",)
    assert con.execute(
        "select count(*) from raw.leads where attr_region_hint is null"
    ).fetchone() == (3,)


def test_parquet_delivery_is_loaded_as_text(con, landing):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = landing / "market_indicators/2024-01-01/indicators.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(pa.table({"date": ["2024-01-01"], "indicator": ["pmi"], "value": [51.5]}), path)

    ingest_landing_zone(con, landing)

    assert con.execute("select value from raw.market_indicators").fetchone() == ("51.5",)


def test_a_row_that_is_not_utf8_is_quarantined_and_the_rest_loads(con, landing):
    # Before the data-quality gate this failed the whole batch; now only the row is held back.
    write(
        landing, "leads/2024-01-04/leads.csv", LEADS_HEADER.encode() + b"L9,\xff\xfe,x,web,open,,\n"
    )

    summary = ingest_landing_zone(con, landing)

    assert summary.rows_loaded["leads"] == 3 and summary.rows_quarantined["leads"] == 1
    assert con.execute(
        "select lead_id, _rules, _source_file, _source_row from quarantine.leads"
    ).fetchall() == [("L9", ["invalid_utf8"], "leads/2024-01-04/leads.csv", 1)]


def test_repeated_column_names_reject_the_file_and_nothing_else(con, landing):
    write(landing, "leads/2024-01-04/leads.csv", "lead_id,Lead_ID\nL1,L1\n")

    summary = ingest_landing_zone(con, landing)

    assert summary.rejected == [
        ("leads/2024-01-04/leads.csv", "leads/2024-01-04/leads.csv: repeats column(s) lead_id")
    ]
    assert summary.rows_loaded["leads"] == 3  # the other deliveries load
    assert con.execute(
        "select status, row_count from raw._ingested_files where path = ?",
        ["leads/2024-01-04/leads.csv"],
    ).fetchone() == ("rejected", 0)


def test_folder_without_contract_tables_is_refused(con, tmp_path):
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "deals.csv").write_text("a\n1\n")

    with pytest.raises(ValueError, match="holds none of the tables"):
        ingest_landing_zone(con, tmp_path / "export")


def test_missing_folder_is_refused(con, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ingest_landing_zone(con, tmp_path / "nowhere")


def test_empty_deliveries_of_a_table_are_not_mistaken_for_repeats(con, landing):
    header_only = "account_id,account_name,created_at,updated_at\n"
    write(landing, "accounts/2024-01-02/accounts.csv", header_only)

    summary = ingest_landing_zone(con, landing)

    assert summary.duplicates == []
    assert "accounts/2024-01-02/accounts.csv" in summary.loaded
