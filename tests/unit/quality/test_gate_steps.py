"""The gate's steps: runs reconcile, GX verdicts stop the night, and every run is recorded."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import duckdb
import pytest
from quality_helpers import ACTIVITIES_HEADER, LEADS_HEADER, OPPS_HEADER, lead, opp

from ml.quality.outcomes import QualityGateError
from ml.warehouse import runs as monitoring
from ml.warehouse.gate import check_deliveries, record_run_outcome, validate_marts
from ml.warehouse.steps import ingest_deliveries

DAY2 = date(2024, 1, 2)


@pytest.fixture
def messy(landing):
    """A second delivery with a bit of everything: bad rows, a rejected file, a repeat."""
    landing.write(
        "leads/2024-01-02/a.csv",
        LEADS_HEADER,
        lead("L3"),
        "L4,short",
        lead("L5", status="lost"),
        lead("L3"),
    )
    landing.write("leads/2024-01-02/b.csv", (LEADS_HEADER + "\n").encode() + b"L6,\xff,,,,\n")
    landing.write("leads/2024-01-02/c.csv", "lead_id,status", "L7,open", "L8,open")
    landing.write(
        "opportunities/2024-01-02/opportunities.csv",
        OPPS_HEADER,
        opp("O2", amount="-1"),
        opp("O3"),
    )
    landing.write(
        "opportunities/2024-01-02/again.csv",
        (landing.root / "opportunities/2024-01-01/opportunities.csv").read_bytes(),
    )
    landing.write(
        "activities/2024-01-02/activities.csv",
        ACTIVITIES_HEADER,
        "AC1,2024-01-02T09:00:00Z,call,L1",
        "AC1,2024-01-02T09:00:00Z,call,L1",
    )
    return landing


def test_every_delivered_row_is_accounted_for_on_messy_input(settings, messy):
    ingest_deliveries(DAY2, settings)

    with duckdb.connect(str(settings.work_warehouse)) as con:
        tables = {
            row[0]: row[1:]
            for row in con.execute(
                "select table_name, rows_delivered, rows_loaded, rows_quarantined, rows_rejected, "
                "rows_repeated from monitoring.pipeline_run_tables where run_date = ?",
                [DAY2],
            ).fetchall()
        }
        run = con.execute(
            "select status, rows_in, rows_out, rows_quarantined, rows_rejected, rows_repeated "
            "from monitoring.pipeline_runs"
        ).fetchone()
        in_tables = {
            t: con.execute(
                f"select (select count(*) from raw.{t}), (select count(*) from quarantine.{t})"
            ).fetchone()
            for t in tables
        }

    # delivered = loaded + quarantined + in rejected files + repeated, table by table
    # leads: L1, L2 and L3 load; the short row, L5 (status "lost"), L3's copy and L6 (not
    # UTF-8) are quarantined; c.csv (2 rows) is rejected
    assert tables["leads"] == (9, 3, 4, 2, 0)
    assert tables["opportunities"] == (4, 2, 1, 0, 1)  # again.csv repeats day 1
    assert tables["activities"] == (2, 1, 1, 0, 0)  # an exact copy: one loads
    assert set(tables) == {
        "accounts",
        "activities",
        "leads",
        "market_indicators",
        "opportunities",
        "opportunity_stage_history",
        "sales_reps",
    }
    for table, (delivered, loaded, quarantined, rejected, repeated) in tables.items():
        assert delivered == loaded + quarantined + rejected + repeated, table
        assert in_tables[table] == (loaded, quarantined), table  # and the tables agree
    totals = tuple(sum(column) for column in zip(*tables.values(), strict=True))
    assert run == ("running", *totals)
    assert run[1] == run[2] + run[3] + run[4] + run[5]


def test_a_rejected_file_stops_the_night_and_the_run_records_why(settings, messy):
    ingest_deliveries(DAY2, settings)

    with pytest.raises(QualityGateError) as failure:
        check_deliveries(DAY2, settings)

    message = str(failure.value)
    blocking = [line for line in message.splitlines() if line.startswith("- stops the run")]
    assert blocking == [
        "- stops the run: raw.leads: expect_column_values_to_be_in_set(missing_required_columns) "
        "(a file without every required column is refused) failed: 1 of 4 files "
        "(leads/2024-01-02/c.csv lacks required column(s) created_at, updated_at, source)"
    ]
    assert "- raw.leads: status_unknown: 1 row(s)" in message  # reported, not blocking
    assert (settings.reports / "data_docs" / "index.html").is_file()
    record_run_outcome(DAY2, settings)  # what the DAG's teardown task does
    with duckdb.connect(str(settings.work_warehouse)) as con:
        status, stored, docs = con.execute(
            "select status, message, data_docs from monitoring.pipeline_runs"
        ).fetchone()
    assert status == "failed" and stored == message
    assert docs == str(settings.reports / "data_docs" / "index.html")


def test_gx_really_checks_the_tables_not_the_bookkeeping(settings, landing):
    ingest_deliveries(DAY2, settings)
    check_deliveries(DAY2, settings)  # passes
    with duckdb.connect(str(settings.work_warehouse)) as con:
        con.execute("delete from raw.leads where lead_id = 'L2'")  # a row lost behind its back

    with pytest.raises(
        QualityGateError,
        match=r"raw.leads: expect_column_pair_values_to_be_equal"
        r"\(rows_loaded, rows_in_raw\) \(the rows counted as loaded are in "
        r"raw.leads\) failed: 1 of 1 files",
    ):
        check_deliveries(DAY2, settings)


def test_a_clean_night_passes_and_is_recorded_successful_only_by_publish(settings, landing):
    ingest_deliveries(DAY2, settings)

    report = check_deliveries(DAY2, settings)

    assert report.passed and report.data_docs.is_file()
    assert record_run_outcome(DAY2, settings) == "failed"  # nobody marked it done
    with duckdb.connect(str(settings.work_warehouse)) as con:
        monitoring.start_run(con, DAY2, datetime.now(UTC))
        monitoring.finish_run(con, DAY2, monitoring.SUCCESS, datetime.now(UTC))
    assert record_run_outcome(DAY2, settings) == "success"  # left alone


def test_rerunning_a_date_replaces_its_run_row(settings, landing):
    ingest_deliveries(DAY2, settings)
    ingest_deliveries(DAY2, settings)

    with duckdb.connect(str(settings.work_warehouse)) as con:
        assert con.execute("select run_date, rows_in from monitoring.pipeline_runs").fetchall() == [
            (DAY2, 3)
        ]
        assert con.execute("select count(*) from monitoring.pipeline_run_tables").fetchone() == (7,)


def test_marts_that_break_their_suite_stop_the_night(settings):
    settings.work_warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.lead_features as select 'L1' as lead_id, date '2024-01-02' as "
            "as_of_date, timestamp '2024-01-01' as created_at, 1 as lead_age_days, 'open' as "
            "status, 'vp' as title_seniority, '11-50' as company_size_band, 0 as "
            "activities_total, 0 as activities_last_14_days, null::int as days_since_last_activity"
        )
        con.execute(
            "create table marts.opportunities as select * from (values "
            "('O1', 'prospecting', 10.0, 'USD', false, false, 1), "
            "('O2', 'proposal', -5.0, 'USD', false, false, 2)) as t(opportunity_id, stage, "
            "amount, currency, is_closed, is_won, stage_changes)"
        )
        con.execute(
            "create table marts.daily_revenue as select date '2024-01-02' as revenue_date, "
            "'NA' as region, 'core' as product, 'R1' as owner_rep_id, 0.0 as won_amount, "
            "0 as won_deals"
        )

    with pytest.raises(QualityGateError) as failure:
        validate_marts(DAY2, settings)

    assert (
        "marts.opportunities: expect_column_values_to_be_between(amount) failed: 1 of 2 rows"
        in (str(failure.value))
    )
    assert "marts.lead_features" not in str(failure.value)


def test_removing_a_rejected_file_lets_its_date_pass_and_keeps_its_rows_counted(settings, landing):
    path = "leads/2024-01-02/c.csv"
    landing.write(path, "lead_id,status", "L7,open")
    ingest_deliveries(DAY2, settings)
    with pytest.raises(QualityGateError):
        check_deliveries(DAY2, settings)

    (settings.landing / path).unlink()
    ingest_deliveries(DAY2, settings)
    report = check_deliveries(DAY2, settings)

    assert report.passed
    with duckdb.connect(str(settings.work_warehouse)) as con:
        assert con.execute(
            "select status from raw._ingested_files where path = ?", [path]
        ).fetchone() == ("withdrawn",)
        assert con.execute(
            "select rows_in, rows_out, rows_quarantined, rows_rejected "
            "from monitoring.pipeline_runs"
        ).fetchone() == (4, 3, 0, 1)


def test_quarantined_rows_are_reported_as_quarantined_and_data_docs_show_the_night_passed(
    settings, landing
):
    landing.write("leads/2024-01-02/a.csv", LEADS_HEADER, lead("L3"), lead("L5", status="lost"))
    ingest_deliveries(DAY2, settings)

    report = check_deliveries(DAY2, settings)  # the gate passes: a bad row is no bad table

    assert report.passed
    assert "- raw.leads: status_unknown: 1 row(s)" in report.summary()
    pages = list((settings.reports / "data_docs" / "validations" / "raw" / "leads").rglob("*.html"))
    assert len(pages) == 1
    page = " ".join(pages[0].read_text().split())
    status = re.search(r"Status:</span> <i [^>]*></i> (\w+)", page)
    assert status and status.group(1) == "Succeeded"
    assert "status_unknown" in page  # the rule is listed, with its count as observed value
