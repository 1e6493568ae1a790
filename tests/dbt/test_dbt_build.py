"""dbt's own data tests and unit tests, through `dbt build`: the build of the shared night
(tests/nights.py), whose working warehouse is a throwaway (put back as built after this
module)."""

from __future__ import annotations

import json
import subprocess

import duckdb
import pytest
from nights import BUSINESS_DATE

from ml.warehouse.transform import dbt_command, dbt_environment, run_dbt_build

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(shared_night):
    """The shared night's settings and the results of its `dbt build` (for its business
    date, on its working warehouse)."""
    settings = shared_night.settings
    run = json.loads((settings.dbt_state / "target" / "run_results.json").read_text())
    assert run["args"]["which"] == "build", run["args"]  # the night's last dbt command
    return settings, run["results"]


def test_every_model_test_and_unit_test_passes(built):
    _, results = built
    failed = [
        (r["unique_id"], r["status"])
        for r in results
        if r["status"] not in ("success", "pass", "warn")
    ]
    assert failed == []
    kinds = {r["unique_id"].split(".")[0] for r in results}
    assert {"model", "test", "unit_test"} <= kinds


def test_point_in_time_unit_test_ran_and_passed(built):
    _, results = built
    by_name = {r["unique_id"].rsplit(".", 1)[-1]: r["status"] for r in results}
    assert by_name["lead_features_history_is_point_in_time"] == "pass"


def test_marts_are_built_with_the_business_date(built):
    settings, _ = built
    with duckdb.connect(str(settings.work_warehouse), read_only=True) as con:
        latest = con.execute("select max(as_of_date) from marts.lead_features").fetchone()[0]
        assert latest == BUSINESS_DATE
        # The history grid: one as-of date per week before the business date.
        as_of_dates = con.execute(
            "select count(distinct as_of_date) from marts.lead_features"
        ).fetchone()[0]
        assert as_of_dates >= 15
        for mart in (
            "opportunities",
            "opportunity_stage_history",
            "daily_revenue",
            "market_indicators_daily",
        ):
            assert con.execute(f"select count(*) from marts.{mart}").fetchone()[0] > 0, mart


def test_staging_keeps_only_hashed_personal_fields(built):
    settings, _ = built
    with duckdb.connect(str(settings.work_warehouse), read_only=True) as con:
        columns = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'staging' "
                "and table_name = 'stg_crm__lead_versions'"
            ).fetchall()
        }
    assert {"email_hash", "first_name_hash", "last_name_hash", "phone_hash"} <= columns
    assert not columns & {"email", "first_name", "last_name", "phone"}


def test_missing_business_date_stops_the_build_with_instructions(built):
    settings, _ = built
    result = subprocess.run(
        dbt_command(settings, "build", "--select", "lead_features", "--no-use-colors"),
        env=dbt_environment(settings),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "The var `business_date` is required by lead_features and was not given." in (
        result.stdout
    )


def test_a_failing_data_test_fails_the_build(built):
    settings, _ = built
    with duckdb.connect(str(settings.work_warehouse)) as con:
        con.execute("create table scratch_dup as select * from marts.opportunities limit 1")
        con.execute("insert into marts.opportunities select * from scratch_dup")
        con.execute("drop table scratch_dup")
    try:
        result = subprocess.run(
            dbt_command(
                settings,
                "test",
                "--select",
                "opportunities,test_name:unique",
                "--vars",
                f'{{"business_date": "{BUSINESS_DATE}"}}',
                "--no-use-colors",
            ),
            env=dbt_environment(settings),
            capture_output=True,
            text=True,
        )
        assert result.returncode == 1
        assert "FAIL 1 unique_opportunities_opportunity_id" in result.stdout
    finally:
        run_dbt_build(settings, BUSINESS_DATE, select="opportunities")


def test_pipeline_progression_marts_are_built_and_the_waterfall_reconciles(built):
    settings, results = built
    by_name = {r["unique_id"].rsplit(".", 1)[-1]: r["status"] for r in results}
    assert by_name["assert_pipeline_flow_reconciles"] == "pass"
    assert by_name["pipeline_flow_reconciles_a_push_a_win_and_a_new_deal"] == "pass"
    with duckdb.connect(str(settings.work_warehouse), read_only=True) as con:
        for mart in (
            "opportunity_features",
            "opportunity_outcomes",
            "stage_conversion",
            "pipeline_flow",
        ):
            assert con.execute(f"select count(*) from marts.{mart}").fetchone()[0] > 0, mart
        # An open deal is censored, never a loss: outcomes match the deals' state tonight.
        open_deals, censored = con.execute(
            "select (select count(*) from marts.opportunities where not is_closed), "
            "(select count(*) from marts.opportunity_outcomes "
            "where outcome = 'open' and is_censored)"
        ).fetchone()
        assert open_deals == censored > 0
        # Tonight's feature rows are exactly tonight's open deals.
        tonight = con.execute(
            "select count(*) from marts.opportunity_features where as_of_date = ?", [BUSINESS_DATE]
        ).fetchone()[0]
        assert tonight == open_deals
