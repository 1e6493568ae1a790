"""End to end: the demo builds the warehouse through Airflow; a re-run with a BI reader open
changes nothing, is not blocked, and the reader never sees half a night."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SALESPIPE = str(Path(sys.executable).with_name("salespipe"))
DEMO_ARGS = ["--leads", "800", "--days", "150"]
PERSONAL_COLUMNS = {"email", "first_name", "last_name", "phone"}


def salespipe(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SALESPIPE_HOME": str(home)}
    env.pop("SALESPIPE_LANDING", None)
    return subprocess.run([SALESPIPE, *args], env=env, capture_output=True, text=True, timeout=900)


# When a run started and finished differ from run to run by nature; the rest must not.
VOLATILE_COLUMNS = {
    "monitoring.pipeline_runs": "exclude (started_at, finished_at)",
    "monitoring.pipeline_stages": "exclude (finished_at)",
    "ml.lead_scores": "exclude (scored_at)",
    "ml.opportunity_scores": "exclude (scored_at)",
    "ml.current_lead_scores": "exclude (scored_at)",
    "ml.revenue_forecasts": "exclude (forecast_at)",
    "monitoring.model_promotions": "exclude (moved_at)",
}


# Logs of actions: a re-run is one more action, so they grow by design (issue 12).
ACTION_LOGS = ("monitoring.audit_log",)


def table_fingerprints(path: Path) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent digest of every published table (action logs
    aside)."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema <> 'meta' and table_schema || '.' || table_name not in ? "
            "order by 1",
            [list(ACTION_LOGS)],
        ).fetchall()
        return {
            name: con.execute(
                f"select count(*), coalesce(md5(string_agg(t::varchar, chr(10) "
                f"order by t::varchar)), '') from (select * {VOLATILE_COLUMNS.get(name, '')} "
                f"from {name}) as t"
            ).fetchone()
            for (name,) in tables
        }


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e") / "home"
    result = salespipe(home, "demo", *DEMO_ARGS)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return home, result.stdout


def published_path(home: Path) -> Path:
    return home / "warehouse" / "salespipe.duckdb"


def test_demo_prints_real_row_counts_and_where_to_look(demo):
    home, out = demo
    assert str(published_path(home)) in out
    assert "salespipe airflow standalone" in out
    counts = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "rows" and parts[0].startswith("marts."):
            counts[parts[0]] = int(parts[1].replace(",", ""))
    assert {"marts.lead_features", "marts.opportunities", "marts.daily_revenue"} <= set(counts)
    assert all(rows > 0 for rows in counts.values()), counts


def test_marts_hold_the_business_date(demo):
    home, _ = demo
    with duckdb.connect(str(published_path(home)), read_only=True) as con:
        (business_date,) = con.execute("select business_date from meta.publication").fetchone()
        assert str(business_date) == "2024-05-29"  # 150 days from the demo's 2024-01-01
        open_leads = con.execute(
            "select count(*) from marts.lead_features where as_of_date = ?", [business_date]
        ).fetchone()[0]
        assert open_leads > 0
        assert con.execute("select sum(won_amount) from marts.daily_revenue").fetchone()[0] > 0


def test_too_few_mature_leads_fall_back_to_the_flagged_source_prior(demo):
    home, out = demo
    with duckdb.connect(str(published_path(home)), read_only=True) as con:
        open_leads = con.execute(
            "select count(*) from marts.lead_features where as_of_date = '2024-05-29'"
        ).fetchone()[0]
        scores = con.execute(
            "select count(*), list(distinct scoring_method), list(distinct model_name) "
            "from ml.lead_scores where score_date = '2024-05-29'"
        ).fetchone()
        promotions = con.execute(
            "select count(*) from monitoring.model_promotions where model_name = 'lead_scoring'"
        ).fetchone()
    # 800 leads over 150 days: far below 1,000 mature leads, so no model is promoted
    assert scores == (open_leads, ["prior"], ["lead_scoring_prior"])
    assert promotions == (0,)
    assert "from lead_scoring_prior" in out and "(prior)" in out


def test_short_revenue_history_still_gets_forecasts_with_the_documented_fallback(demo):
    home, out = demo
    with duckdb.connect(str(published_path(home)), read_only=True) as con:
        per_grain = con.execute(
            "select grain, count(distinct period_start), list(distinct series_status), "
            "list(distinct method), bool_and(lower <= forecast and forecast <= upper) "
            "from ml.revenue_forecasts where forecast_date = '2024-05-29' and segment = 'total' "
            "group by grain order by grain"
        ).fetchall()
        reconciled = con.execute(
            "select max(abs(total.forecast - regions.forecast)) from "
            "(select grain, period_start, forecast from ml.revenue_forecasts "
            " where segment = 'total') as total join "
            "(select grain, period_start, sum(forecast) as forecast from ml.revenue_forecasts "
            " where segment like 'region:%' group by all) as regions using (grain, period_start)"
        ).fetchone()[0]
    # 150 days of history: too short for a backtest, so every series is 'short' and gets
    # the run-rate fallback, not a crash or zeros
    assert per_grain == [("month", 6, ["short"], ["run_rate"], True),
                         ("week", 13, ["short"], ["run_rate"], True)]  # fmt: skip
    assert reconciled < 1e-6
    assert "Revenue forecasts for 2024-05-29" in out


def test_the_run_is_recorded_in_airflow(demo):
    home, _ = demo
    with sqlite3.connect(home / "airflow" / "airflow.db") as db:
        runs = db.execute(
            "select state, date(data_interval_start) from dag_run "
            "where dag_id = 'nightly_warehouse'"
        ).fetchall()
    assert runs == [("success", "2024-05-29")]


def test_no_personal_data_reaches_the_published_warehouse(demo):
    home, _ = demo
    landing_emails = duckdb.sql(
        f"select distinct email from read_csv('{home}/landing/leads/*/*.csv', all_varchar=true, "
        "union_by_name=true) where email is not null limit 50"
    ).fetchall()
    with duckdb.connect(str(published_path(home)), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name, data_type "
            "from information_schema.columns"
        ).fetchall()
        assert not {c[2] for c in columns} & PERSONAL_COLUMNS
        assert {c[0] for c in columns} <= {"marts", "ml", "monitoring", "meta"}
        for schema, table, column, data_type in columns:
            if data_type != "VARCHAR":
                continue
            found = con.execute(
                f'select count(*) from {schema}.{table} where "{column}" in '
                f"(select unnest(?::varchar[]))",
                [[e for (e,) in landing_emails]],
            ).fetchone()[0]
            assert found == 0, f"clear-text email in {schema}.{table}.{column}"


def test_rerun_with_a_reader_open_is_unblocked_unchanged_and_never_half_seen(demo, open_bi_reader):
    home, _ = demo
    before = table_fingerprints(published_path(home))
    reader = open_bi_reader(published_path(home))
    published_before = reader.query("select published_at from meta.publication")

    result = salespipe(home, "run", "--date", "2024-05-29")

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # The open reader still sees the whole of the night it opened, not a mix.
    assert reader.query("select published_at from meta.publication") == published_before
    assert reader.query("select count(*) from marts.lead_features") == str(
        before["marts.lead_features"][0]
    )
    reader.close()
    assert table_fingerprints(published_path(home)) == before


# What the generator injects on purpose (ml/generate/mess.py), and the rule that must catch it.
GENERATOR_DEFECTS = {
    "lead_null_id": ("leads", "lead_id_null"),
    "lead_malformed_email": ("leads", "email_malformed"),
    "opportunity_negative_amount": ("opportunities", "amount_negative"),
    "opportunity_unknown_stage": ("opportunities", "stage_unknown"),
    "opportunity_close_date_before_created": ("opportunities", "close_date_before_created_at"),
}


def work_path(home: Path) -> Path:
    return home / "warehouse" / "work" / "salespipe_work.duckdb"


def test_every_injected_defect_is_in_quarantine_with_its_rule(demo):
    home, _ = demo
    mess = json.loads((home / "landing" / "_generator.json").read_text())["mess"]
    with duckdb.connect(str(work_path(home)), read_only=True) as con:
        found = dict(
            con.execute(
                "select table_name || '.' || rule, count(*) from ("
                "  select 'leads' as table_name, unnest(_rules) as rule from quarantine.leads"
                "  union all select 'opportunities', unnest(_rules) from quarantine.opportunities"
                ") group by 1"
            ).fetchall()
        )
        others = con.execute(
            "select sum(n) from (select count(*) as n from quarantine.accounts union all "
            "select count(*) from quarantine.activities union all select count(*) from "
            "quarantine.opportunity_stage_history union all select count(*) from "
            "quarantine.sales_reps union all select count(*) from quarantine.market_indicators)"
        ).fetchone()[0]
    expected = {f"{table}.{rule}": mess[kind] for kind, (table, rule) in GENERATOR_DEFECTS.items()}
    assert all(count > 0 for count in expected.values()), mess
    assert found == expected
    assert others == 0


def test_the_run_reconciles_and_says_where_its_data_docs_are(demo):
    home, out = demo
    with duckdb.connect(str(published_path(home)), read_only=True) as con:
        run = con.execute(
            "select status, rows_in, rows_out, rows_quarantined, rows_rejected, rows_repeated, "
            "data_docs from monitoring.pipeline_runs where run_date = '2024-05-29'"
        ).fetchone()
        per_table = con.execute(
            "select sum(rows_delivered), sum(rows_loaded), sum(rows_quarantined), "
            "sum(rows_rejected), sum(rows_repeated) from monitoring.pipeline_run_tables "
            "where run_date = '2024-05-29'"
        ).fetchone()
    status, rows_in, rows_out, quarantined, rejected, repeated, data_docs = run
    assert status == "success"
    assert rows_in == rows_out + quarantined + rejected + repeated
    assert (rows_in, rows_out, quarantined, rejected, repeated) == per_table
    assert repeated > 0 and rejected == 0  # the generator repeats one delivery
    index = home / "reports" / "data_docs" / "index.html"
    assert data_docs == str(index) and index.is_file()
    assert f"Data Docs: {index}" in out
    assert "raw/leads" in index.read_text() and "marts/lead_features" in index.read_text()


def test_a_rejected_delivery_stops_the_night_before_any_model_step(demo):
    # Last in this module: it leaves a failed run behind (the bad file is removed again).
    home, _ = demo
    before = table_fingerprints(published_path(home))
    bad = home / "landing" / "leads" / "2024-05-29" / "broken_export.csv"
    bad.write_text("lead_id,updated_at,source,status\nL9,2024-05-29T09:00:00Z,web,open\n")
    try:
        result = salespipe(home, "run", "--date", "2024-05-29")
    finally:
        bad.unlink()

    assert result.returncode == 1
    assert result.stderr.startswith(
        "salespipe run failed: Data-quality gate failed for business date 2024-05-29"
    )
    assert (
        "- stops the run: raw.leads: expect_column_values_to_be_in_set(missing_required_columns)"
        in result.stderr
        and "leads/2024-05-29/broken_export.csv lacks required column(s) created_at)"
        in result.stderr
    )
    assert table_fingerprints(published_path(home)) == before  # BI still sees last good night
    with duckdb.connect(str(work_path(home)), read_only=True) as con:
        status, message = con.execute(
            "select status, message from monitoring.pipeline_runs where run_date = '2024-05-29'"
        ).fetchone()
    assert status == "failed" and "broken_export.csv lacks required column(s)" in message
    with sqlite3.connect(home / "airflow" / "airflow.db") as db:
        states = dict(
            db.execute(
                "select task_id, state from task_instance where dag_id = 'nightly_warehouse' "
                "and run_id = (select run_id from dag_run where dag_id = 'nightly_warehouse' "
                "order by id desc limit 1)"
            ).fetchall()
        )
    assert states["check_deliveries"] == "failed"
    assert states["build_warehouse"] == "upstream_failed"
    assert states["record_run"] == "success"
