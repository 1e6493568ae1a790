"""The bad-input corpus: every kind of bad delivery, and exactly what becomes of it.

Each case adds bad files to a valid first delivery (two leads, one opportunity, see
conftest.py) and asserts the outcome a user would see: the row in quarantine with the
rule it broke, the file rejected with a message naming it, or the tables unchanged.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from quality_helpers import (
    ACTIVITIES_HEADER,
    LEADS_HEADER,
    OPPS_HEADER,
    file_record,
    lead,
    opp,
    quarantined,
    raw_keys,
)

from ml.quality.outcomes import QualityGateError
from ml.warehouse.gate import check_deliveries
from ml.warehouse.ingest import ingest_landing_zone
from ml.warehouse.steps import ingest_deliveries

DAY2 = "2024-01-02"


def ingest(con, landing):
    return ingest_landing_zone(con, landing.root)


# --- malformed CSV --------------------------------------------------------------------


def test_a_short_row_is_quarantined_with_its_text_and_the_rows_after_it_load(con, landing):
    landing.write(
        f"leads/{DAY2}/leads.csv", LEADS_HEADER, lead("L3"), "L4,2024-01-02T08:00:00Z", lead("L5")
    )

    ingest(con, landing)

    assert con.execute(
        "select _rules, _detail, _raw_line, _source_row from quarantine.leads"
    ).fetchall() == [
        (["malformed_csv_row"], "expected 6 fields, found 2", "L4,2024-01-02T08:00:00Z", 2)
    ]
    assert con.execute(
        f"select lead_id, _source_row from raw.leads where _delivery_date = '{DAY2}' order by 2"
    ).fetchall() == [("L3", 1), ("L5", 3)]


def test_a_long_row_is_quarantined_too(con, landing):
    landing.write(f"leads/{DAY2}/leads.csv", LEADS_HEADER, lead("L3") + ",surplus")

    ingest(con, landing)

    assert quarantined(con, "leads", "_raw_line") == [
        (lead("L3") + ",surplus", ["malformed_csv_row"], f"leads/{DAY2}/leads.csv", 1)
    ]


def test_an_unbalanced_quote_rejects_the_file_naming_the_line(con, landing):
    path = f"leads/{DAY2}/leads.csv"
    landing.write(path, LEADS_HEADER, lead("L3"), lead("L4", email='"l4@example.com'), lead("L5"))

    summary = ingest(con, landing)

    reason = (
        f"{path}: unbalanced double quote: the quoted field opened on line 3 is never "
        "closed, so every line after it would be misread"
    )
    assert summary.rejected == [(path, reason)]
    assert file_record(con, path) == ("rejected", 0, 3, 0, reason)
    assert raw_keys(con, "leads", "lead_id") == ["L1", "L2"]  # nothing of the file loads


def test_a_quote_inside_a_field_is_just_a_character(con, landing):
    landing.write(f"leads/{DAY2}/leads.csv", LEADS_HEADER, lead("L3", source='web"ish'))

    summary = ingest(con, landing)

    assert summary.rejected == []
    assert con.execute("select source from raw.leads where lead_id = 'L3'").fetchone() == (
        'web"ish',
    )


# --- types, values, ranges, dates ------------------------------------------------------


def test_values_that_do_not_parse_are_quarantined_by_column(con, landing):
    landing.write(
        f"opportunities/{DAY2}/opportunities.csv",
        OPPS_HEADER,
        opp("O2", amount='"12,5"'),  # a decimal comma
        opp("O3", amount="lots"),
        opp("O4", created_at="yesterday"),
        opp("O5", close_date="2024-02-30"),
    )

    ingest(con, landing)

    assert [
        (k, rules) for k, rules, _, _ in quarantined(con, "opportunities", "opportunity_id")
    ] == [
        ("O2", ["amount_not_number"]),
        ("O3", ["amount_not_number"]),
        ("O4", ["created_at_not_timestamp"]),
        ("O5", ["close_date_not_date"]),
    ]


def test_an_optional_column_that_does_not_parse_is_counted_not_quarantined(con, landing):
    landing.write(f"leads/{DAY2}/leads.csv", LEADS_HEADER + ",employees", lead("L3") + ",a few")

    ingest(con, landing)

    assert "L3" in raw_keys(con, "leads", "lead_id")
    assert con.execute(
        "select rule, rows from raw._ingested_file_rules where path like 'leads/2024-01-02/%'"
    ).fetchall() == [("employees_not_integer", 1)]


def test_an_unknown_stage_is_quarantined_but_case_and_spaces_are_forgiven(con, landing):
    landing.write(
        f"opportunities/{DAY2}/opportunities.csv",
        OPPS_HEADER,
        opp("O2", stage="Closed Won!!"),
        opp("O3", stage=" Closed_Won "),
    )

    ingest(con, landing)

    assert quarantined(con, "opportunities", "opportunity_id") == [
        ("O2", ["stage_unknown"], f"opportunities/{DAY2}/opportunities.csv", 1)
    ]
    assert "O3" in raw_keys(con, "opportunities", "opportunity_id")


def test_a_negative_amount_is_quarantined(con, landing):
    landing.write(
        f"opportunities/{DAY2}/opportunities.csv", OPPS_HEADER, opp("O2", amount="-5400.00")
    )

    ingest(con, landing)

    assert quarantined(con, "opportunities", "amount") == [
        ("-5400.00", ["amount_negative"], f"opportunities/{DAY2}/opportunities.csv", 1)
    ]


def test_a_close_date_before_the_creation_date_is_quarantined(con, landing):
    landing.write(
        f"opportunities/{DAY2}/opportunities.csv",
        OPPS_HEADER,
        opp("O2", created_at="2024-01-02T10:00:00Z", close_date="2024-01-01"),
        opp("O3", created_at="2024-01-02T10:00:00Z", close_date="2024-01-02"),  # same day: fine
    )

    ingest(con, landing)

    assert [k for k, _, _, _ in quarantined(con, "opportunities", "opportunity_id")] == ["O2"]
    assert con.execute("select _rules from quarantine.opportunities").fetchone() == (
        ["close_date_before_created_at"],
    )


def test_a_null_account_on_an_opportunity_is_fine(con, landing):
    landing.write(f"opportunities/{DAY2}/opportunities.csv", OPPS_HEADER, opp("O2", account_id=""))

    ingest(con, landing)

    assert "O2" in raw_keys(con, "opportunities", "opportunity_id")


def test_timestamps_after_the_day_after_delivery_are_quarantined(con, landing):
    landing.write(
        f"leads/{DAY2}/leads.csv",
        LEADS_HEADER,
        lead("L3", updated="2024-01-03T23:59:59Z"),  # within the grace day: loads
        lead("L4", updated="2024-01-04T00:00:00Z"),
        lead("L5", updated="2024-01-04T01:00:00+02:00"),  # 2024-01-03T23:00Z: loads
    )

    ingest(con, landing)

    assert quarantined(con, "leads", "lead_id") == [
        ("L4", ["updated_at_in_future"], f"leads/{DAY2}/leads.csv", 2)
    ]


# --- keys and duplicates ---------------------------------------------------------------


def test_a_row_without_its_key_is_quarantined(con, landing):
    landing.write(f"leads/{DAY2}/leads.csv", LEADS_HEADER, lead("L3"), lead(" ", email=""))

    ingest(con, landing)

    assert quarantined(con, "leads", "lead_id") == [
        (" ", ["lead_id_null"], f"leads/{DAY2}/leads.csv", 2)
    ]


def test_a_file_whose_key_is_empty_in_every_row_is_rejected(con, landing):
    path = f"leads/{DAY2}/leads.csv"
    landing.write(path, LEADS_HEADER, lead(""), lead(""), lead(""))

    summary = ingest(con, landing)

    assert summary.rejected == [(path, f"{path}: the key (lead_id) is empty in all 3 rows")]
    assert con.execute("select count(*) from quarantine.leads").fetchone() == (0,)


def test_an_exact_duplicate_in_one_delivery_loads_once(con, landing):
    landing.write(f"leads/{DAY2}/part1.csv", LEADS_HEADER, lead("L3"))
    landing.write(f"leads/{DAY2}/part2.csv", LEADS_HEADER, lead("L4"), lead("L3"))

    ingest(con, landing)

    assert raw_keys(con, "leads", "lead_id") == ["L1", "L2", "L3", "L4"]
    assert quarantined(con, "leads", "lead_id") == [
        ("L3", ["duplicate_row"], f"leads/{DAY2}/part2.csv", 2)
    ]


def test_a_key_twice_with_different_values_in_one_delivery_is_held_back_entirely(con, landing):
    landing.write(
        f"leads/{DAY2}/leads.csv",
        LEADS_HEADER,
        lead("L3", status="open"),
        lead("L3", status="working"),  # same updated_at, other status: which is true?
        lead("L4", updated="2024-01-02T09:00:00Z"),
        lead("L4", updated="2024-01-02T10:00:00Z", status="working"),  # a later version: fine
    )

    ingest(con, landing)

    assert [(k, r, row) for k, r, _, row in quarantined(con, "leads", "lead_id")] == [
        ("L3", ["duplicate_key_conflict"], 1),
        ("L3", ["duplicate_key_conflict"], 2),
    ]
    assert raw_keys(con, "leads", "lead_id").count("L4") == 2


def test_the_same_key_in_two_deliveries_is_change_data_capture_not_a_duplicate(con, landing):
    landing.write(f"leads/{DAY2}/leads.csv", LEADS_HEADER, lead("L1"))

    ingest(con, landing)

    assert raw_keys(con, "leads", "lead_id").count("L1") == 2
    assert con.execute("select count(*) from quarantine.leads").fetchone() == (0,)


def test_an_activity_id_twice_in_one_delivery_is_a_duplicate(con, landing):
    landing.write(
        f"activities/{DAY2}/activities.csv",
        ACTIVITIES_HEADER,
        "AC1,2024-01-02T09:00:00Z,call,L1",
        "AC1,2024-01-02T09:30:00Z,call,L1",
    )

    ingest(con, landing)

    assert [r for _, r, _, _ in quarantined(con, "activities", "activity_id")] == [
        ["duplicate_key_conflict"],
        ["duplicate_key_conflict"],
    ]


# --- columns ---------------------------------------------------------------------------


def test_a_missing_required_column_rejects_the_file_and_stops_the_gate(settings, landing):
    path = f"leads/{DAY2}/leads.csv"
    landing.write(path, "lead_id,updated_at,source,status", "L3,2024-01-02T09:00:00Z,web,open")
    business_date = date(2024, 1, 2)
    ingest_deliveries(business_date, settings)

    with pytest.raises(QualityGateError) as failure:
        check_deliveries(business_date, settings)

    message = str(failure.value)
    assert "Data-quality gate failed for business date 2024-01-02" in message
    assert (
        "raw.leads: expect_column_values_to_be_in_set(missing_required_columns) "
        "(a file without every required column is refused) failed: 1 of 2 files "
        f"({path} lacks required column(s) created_at)"
    ) in message
    assert str(settings.reports / "data_docs" / "index.html") in message


def test_an_extra_column_is_kept_as_text_and_reported(con, landing, caplog):
    landing.write(
        f"opportunities/{DAY2}/opportunities.csv",
        OPPS_HEADER + ",discount_pct",
        opp("O2") + ",12.5",
    )
    landing.write(f"leads/{DAY2}/leads.csv", LEADS_HEADER + ",attr_region", lead("L3") + ",north")

    ingest(con, landing)

    assert con.execute(
        "select discount_pct from raw.opportunities where opportunity_id = 'O2'"
    ).fetchone() == ("12.5",)
    assert con.execute(
        "select path, unexpected_columns from raw._ingested_files "
        "where coalesce(unexpected_columns, '') <> ''"
    ).fetchall() == [(f"opportunities/{DAY2}/opportunities.csv", "discount_pct")]
    assert "the contract does not name, kept as text: discount_pct" in caplog.text


# --- encodings, sizes, empty files, repeats --------------------------------------------


def test_bytes_that_are_not_utf8_quarantine_their_row(con, landing):
    path = f"leads/{DAY2}/leads.csv"
    bad = lead("L4", email="m\xfcller@example.com").encode("latin-1")
    landing.write(path, (LEADS_HEADER + "\n" + lead("L3") + "\n").encode() + bad + b"\n")

    ingest(con, landing)

    assert con.execute(
        "select lead_id, email, _rules, _detail, _source_row from quarantine.leads"
    ).fetchall() == [
        ("L4", "m\ufffdller@example.com", ["invalid_utf8"], "bytes that are not UTF-8 in email", 2)
    ]
    assert "L3" in raw_keys(con, "leads", "lead_id")


def test_a_header_that_is_not_utf8_rejects_the_file(con, landing):
    path = f"leads/{DAY2}/leads.csv"
    landing.write(path, LEADS_HEADER.replace("email", "\xe9mail").encode("latin-1") + b"\n")

    summary = ingest(con, landing)

    assert summary.rejected[0][0] == path
    assert "the header line cannot be read as UTF-8 CSV" in summary.rejected[0][1]


def test_a_byte_order_mark_does_not_hide_the_first_column(con, landing):
    landing.write(f"leads/{DAY2}/leads.csv", ("\ufeff" + LEADS_HEADER + "\n" + lead("L3")).encode())

    summary = ingest(con, landing)

    assert summary.rejected == [] and "L3" in raw_keys(con, "leads", "lead_id")


def test_a_one_megabyte_field_is_quarantined(con, landing):
    landing.write(
        f"leads/{DAY2}/leads.csv",
        LEADS_HEADER + ",company",
        lead("L3") + ",Acme",
        lead("L4") + "," + "x" * (1 << 20),
    )

    ingest(con, landing)

    assert [(k, r) for k, r, _, _ in quarantined(con, "leads", "lead_id")] == [
        ("L4", ["value_oversize"])
    ]
    assert con.execute("select length(company) from quarantine.leads").fetchone() == (1 << 20,)


def test_empty_files_are_empty_deliveries(con, landing):
    landing.write(f"leads/{DAY2}/zero_bytes.csv", b"")
    landing.write(f"leads/{DAY2}/header_only.csv", LEADS_HEADER)

    summary = ingest(con, landing)

    assert summary.rejected == []
    assert file_record(con, f"leads/{DAY2}/zero_bytes.csv")[:3] == ("loaded", 0, 0)
    assert file_record(con, f"leads/{DAY2}/header_only.csv")[:3] == ("loaded", 0, 0)


def test_a_file_starting_with_an_empty_line_is_rejected_not_taken_for_empty(con, landing):
    landing.write(f"leads/{DAY2}/leads.csv", "", LEADS_HEADER, lead("L3"))

    summary = ingest(con, landing)

    assert summary.rejected == [
        (
            f"leads/{DAY2}/leads.csv",
            f"leads/{DAY2}/leads.csv: the first line is empty: a CSV delivery starts with "
            "its header",
        )
    ]


def test_the_same_delivery_twice_loads_once_and_reingest_changes_nothing(con, landing):
    original = (landing.root / "leads/2024-01-01/leads.csv").read_bytes()
    landing.write(f"leads/{DAY2}/leads__again.csv", original)

    snapshot = {
        "raw.leads": "select * from raw.leads order by all",
        "quarantine.leads": "select * from quarantine.leads order by all",
        "files": "select * from raw._ingested_files order by all",
    }

    first = ingest(con, landing)
    before = {name: con.execute(sql).fetchall() for name, sql in snapshot.items()}
    second = ingest(con, landing)

    assert first.duplicates == [f"leads/{DAY2}/leads__again.csv"]
    assert first.tables["leads"].repeated == 2 and raw_keys(con, "leads", "lead_id") == ["L1", "L2"]
    assert second.unchanged == 3 and second.total_rows == 0
    assert {name: con.execute(sql).fetchall() for name, sql in snapshot.items()} == before


# --- Parquet ---------------------------------------------------------------------------


def test_a_parquet_file_with_another_schema_is_rejected(con, landing):
    path = landing.root / f"opportunities/{DAY2}/deals.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(pa.table({"deal": ["D1"], "value": [10.0]}), path)

    summary = ingest(con, landing)

    assert summary.rejected == [
        (
            f"opportunities/{DAY2}/deals.parquet",
            f"opportunities/{DAY2}/deals.parquet lacks required column(s) opportunity_id, "
            "account_id, created_at, updated_at, stage, amount, close_date",
        )
    ]


def test_a_parquet_file_with_nested_columns_is_rejected_naming_them(con, landing):
    path = landing.root / f"market_indicators/{DAY2}/indicators.parquet"
    path.parent.mkdir(parents=True)
    table = pa.table(
        {"date": ["2024-01-02"], "indicator": ["pmi"], "value": [{"low": 49.0, "high": 51.0}]}
    )
    pq.write_table(table, path)

    summary = ingest(con, landing)

    assert "nested column(s) value (struct<low: double, high: double>)" in summary.rejected[0][1]


def test_a_parquet_file_with_typed_columns_loads_as_text(con, landing):
    path = landing.root / f"opportunities/{DAY2}/deals.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "opportunity_id": ["O2"],
                "account_id": ["A1"],
                "created_at": pa.array([1704186000000000], pa.timestamp("us", tz="UTC")),
                "updated_at": ["2024-01-02T09:00:00Z"],
                "stage": ["proposal"],
                "amount": [250.5],
                "close_date": pa.array([19760], pa.date32()),
            }
        ),
        path,
    )

    ingest(con, landing)

    assert con.execute(
        "select created_at, amount, close_date from raw.opportunities where opportunity_id = 'O2'"
    ).fetchone() == ("2024-01-02 09:00:00.000000Z", "250.5", "2024-02-07")


# --- a rejected file stays rejected until it is fixed ----------------------------------


def test_a_rejected_file_is_read_again_and_loads_once_fixed(con, landing):
    path = f"leads/{DAY2}/leads.csv"
    landing.write(path, "lead_id,updated_at,source,status", "L3,2024-01-02T09:00:00Z,web,open")
    assert ingest(con, landing).rejected[0][0] == path
    assert ingest(con, landing).rejected[0][0] == path  # still there, still rejected

    landing.write(path, LEADS_HEADER, lead("L3"))
    fixed = ingest(con, landing)

    assert fixed.rejected == [] and fixed.replaced == [path]
    assert file_record(con, path)[:2] == ("replaced", 1)
    assert "L3" in raw_keys(con, "leads", "lead_id")
