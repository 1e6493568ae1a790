"""No input is lost or mangled without a word: text that looks like a missing marker,
non-finite amounts, a field larger than Arrow's block, symlinks out of the landing zone,
the wrong delimiter, far-future dates and folders that are not delivery dates."""

from __future__ import annotations

import os
from datetime import date

import duckdb
from quality_helpers import LEADS_HEADER, OPPS_HEADER, file_record, lead, opp, quarantined

from ml.warehouse.ingest import ingest_landing_zone
from ml.warehouse.steps import ingest_deliveries

DAY2 = "2024-01-02"


def test_text_that_looks_like_a_missing_marker_is_kept_as_written(con, landing):
    landing.write(
        f"leads/{DAY2}/leads.csv",
        LEADS_HEADER + ",country,company,title",
        lead("L3") + ',"NA",N/A,null',
        lead("L4") + ",NA,nan,NULL",
        lead("L5") + ",,,",
    )

    ingest_landing_zone(con, landing.root)

    assert con.execute(
        "select lead_id, country, company, title from raw.leads where lead_id in "
        "('L3', 'L4', 'L5') order by 1"
    ).fetchall() == [
        ("L3", "NA", "N/A", "null"),  # Namibia survives; so does everything else
        ("L4", "NA", "nan", "NULL"),
        ("L5", None, None, None),  # only an empty field is missing
    ]


def test_a_non_finite_amount_is_quarantined(con, landing):
    landing.write(
        f"opportunities/{DAY2}/opportunities.csv",
        OPPS_HEADER,
        opp("O2", amount="NaN"),
        opp("O3", amount="inf"),
        opp("O4", amount="-Infinity"),
        opp("O5", amount="250.00"),
    )

    ingest_landing_zone(con, landing.root)

    assert [(k, r) for k, r, _, _ in quarantined(con, "opportunities", "opportunity_id")] == [
        ("O2", ["amount_not_number"]),
        ("O3", ["amount_not_number"]),
        ("O4", ["amount_not_number"]),
    ]


def test_a_non_finite_indicator_value_is_quarantined(con, landing):
    landing.write(
        f"market_indicators/{DAY2}/indicators.csv",
        "date,indicator,value",
        "2024-01-02,gdp,NaN",
        "2024-01-02,rates,4.5",
    )

    ingest_landing_zone(con, landing.root)

    assert [(k, r) for k, r, _, _ in quarantined(con, "market_indicators", "indicator")] == [
        ("gdp", ["value_not_number"])
    ]


def test_a_fifty_megabyte_field_is_quarantined_row_by_row(con, landing):
    path = landing.root / "leads" / DAY2 / "leads.csv"
    path.parent.mkdir(parents=True)
    with path.open("w") as handle:
        handle.write(LEADS_HEADER + ",company\n" + lead("L3") + ",Acme\n")
        handle.write(lead("L4") + "," + "x" * (50 << 20) + "\n")
        handle.write(lead("L5") + ",Globex\n")

    ingest_landing_zone(con, landing.root)

    assert [(k, r) for k, r, _, _ in quarantined(con, "leads", "lead_id")] == [
        ("L4", ["value_oversize"])
    ]
    assert con.execute(
        "select lead_id, company from raw.leads where lead_id in ('L3', 'L5') order by 1"
    ).fetchall() == [("L3", "Acme"), ("L5", "Globex")]


def test_a_symlink_out_of_the_landing_zone_is_refused_with_a_message(con, landing, tmp_path):
    outside = tmp_path / "elsewhere" / "leads.csv"
    outside.parent.mkdir()
    outside.write_text(LEADS_HEADER + "\n" + lead("L9") + "\n")
    (landing.root / "leads" / DAY2).mkdir(parents=True)
    os.symlink(outside, landing.root / "leads" / DAY2 / "leads.csv")
    os.symlink(outside.parent, landing.root / "leads" / "2024-01-03")

    summary = ingest_landing_zone(con, landing.root)

    assert con.execute("select count(*) from raw.leads where lead_id = 'L9'").fetchone() == (0,)
    reasons = dict(summary.skipped)
    for rel in (f"leads/{DAY2}/leads.csv", "leads/2024-01-03"):
        assert reasons[rel] == (
            f"refused: a symlink to {outside if rel.endswith('.csv') else outside.parent}, "
            f"outside the landing zone {landing.root}; deliveries must be files inside it "
            "(copy the file in instead)"
        )


def test_a_semicolon_delimited_file_is_rejected_naming_the_delimiter(con, landing):
    path = f"leads/{DAY2}/leads.csv"
    landing.write(path, LEADS_HEADER.replace(",", ";"), lead("L3").replace(",", ";"))

    ingest_landing_zone(con, landing.root)

    status, _, _, _, reason = file_record(con, path)
    assert status == "rejected"
    assert reason == (
        f"{path} lacks required column(s) lead_id, created_at, updated_at, source, status: its "
        "header is one column separated by semicolons (';'); deliveries are comma-separated "
        "CSV, so export it with commas (or map it with a mapping file)"
    )


def test_an_implausibly_far_future_close_date_is_quarantined(con, landing):
    landing.write(
        f"opportunities/{DAY2}/opportunities.csv",
        OPPS_HEADER,
        opp("O2", close_date="9999-12-31"),
        opp("O3", close_date="2033-06-30"),  # within ten years of delivery: a long deal
    )

    ingest_landing_zone(con, landing.root)

    assert [(k, r) for k, r, _, _ in quarantined(con, "opportunities", "opportunity_id")] == [
        ("O2", ["close_date_implausibly_far_ahead"])
    ]


def test_a_folder_that_is_not_a_delivery_date_is_in_the_reconciliation(settings, landing):
    landing.write("leads/2024-13-45/leads.csv", LEADS_HEADER, lead("L7"))
    landing.write("leads/latest/leads.csv", LEADS_HEADER, lead("L8"))

    ingest_deliveries(date(2024, 1, 2), settings)

    with duckdb.connect(str(settings.work_warehouse), read_only=True) as con:
        assert con.execute(
            "select paths_skipped, skipped from monitoring.pipeline_runs "
            "where run_date = '2024-01-02'"
        ).fetchone() == (
            2,
            "leads/2024-13-45: not a YYYY-MM-DD delivery folder; "
            "leads/latest: not a YYYY-MM-DD delivery folder",
        )
