"""The generated data carries the signal the models are meant to learn."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from ml.generate import generate_landing_zone


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """Latest version of every lead and opportunity of an 8,000-lead, 240-day landing zone."""
    out = tmp_path_factory.mktemp("signal") / "zone"
    generate_landing_zone(out, seed=11, leads=8_000, start=dt.date(2024, 1, 1), days=240)
    con = duckdb.connect()

    def latest(table: str, key: str) -> None:
        con.sql(f"""
            create table {table} as
            select * from read_csv('{out}/{table}/*/{table}.csv', all_varchar=true)
            where {key} is not null
            qualify row_number() over (partition by {key} order by updated_at desc) = 1
        """)

    latest("leads", "lead_id")
    latest("opportunities", "opportunity_id")
    for table in ("activities", "opportunity_stage_history"):
        con.sql(
            f"create table {table} as "
            f"select * from read_csv('{out / table}/*/*.csv', all_varchar=true)"
        )
    return con


def rate(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    return float(con.sql(sql).fetchall()[0][0])


def conversion(con: duckdb.DuckDBPyConnection, where: str) -> float:
    return rate(con, f"select avg((status = 'converted')::int) from leads where {where}")


def win(con: duckdb.DuckDBPyConnection, where: str) -> float:
    return rate(
        con,
        "select avg((stage = 'closed_won')::int) from opportunities "
        f"where is_closed = 'true' and {where}",
    )


def test_overall_conversion_and_win_rates_are_realistic(db):
    assert 0.10 <= conversion(db, "true") <= 0.20
    # Opportunities old enough to have closed: quick losses would skew a young sample.
    assert 0.22 <= win(db, "created_at < '2024-05-01'") <= 0.45


def test_conversion_depends_on_source_budget_form_and_title(db):
    assert conversion(db, "source = 'referral'") > conversion(db, "source = 'paid_search'") + 0.08
    assert (
        conversion(db, "attr_budget_confirmed = 'yes'")
        > conversion(db, "attr_budget_confirmed = 'no'") + 0.08
    )
    assert conversion(db, "attr_lead_form = 'demo_request'") > conversion(
        db, "attr_lead_form = 'whitepaper'"
    )
    assert conversion(db, "title in ('CEO', 'COO', 'CTO')") > conversion(
        db, "title like '%Analyst'"
    )
    assert conversion(db, "employees::int >= 500") > conversion(db, "employees::int < 50")


def test_engaged_leads_convert_more(db):
    db.sql("""
        create temp table engagement as
        select lead_id, count(*) filter (where activity_type in ('meeting', 'demo')) as meetings
        from activities where opportunity_id is null group by lead_id
    """)
    engaged = conversion(db, "lead_id in (select lead_id from engagement where meetings >= 2)")
    quiet = conversion(db, "lead_id not in (select lead_id from engagement where meetings >= 1)")
    assert engaged > 2 * quiet


def test_fast_moving_opportunities_win_more(db):
    db.sql("""
        create temp table speed as
        select opportunity_id,
               date_diff(
                   'hour',
                   min(changed_at::timestamp) filter (where stage = 'prospecting'),
                   min(changed_at::timestamp) filter (where stage = 'qualification')
               ) as hours
        from opportunity_stage_history group by opportunity_id
    """)
    median = rate(db, "select median(hours) from speed")
    fast = win(db, f"opportunity_id in (select opportunity_id from speed where hours < {median})")
    slow = win(db, f"opportunity_id in (select opportunity_id from speed where hours >= {median})")
    assert fast > slow + 0.05


def test_very_large_deals_win_less(db):
    cutoff = rate(
        db, "select quantile_cont(amount::double, 0.9) from opportunities where is_closed = 'true'"
    )
    assert win(db, f"amount::double > {cutoff}") < win(db, f"amount::double <= {cutoff}")


def test_won_deals_close_at_the_end_of_the_month(db):
    share = rate(
        db,
        """
        select avg((day(close_date::date) >= day(last_day(close_date::date)) - 2)::int)
        from opportunities where stage = 'closed_won'
    """,
    )
    assert share > 0.2  # the last three days are ~10% of a month


def test_few_leads_are_created_on_weekends(db):
    per_day = db.sql("""
        select isodow(created_at::timestamp) >= 6 as weekend,
               count(*) / count(distinct created_at[:10]) as leads
        from leads group by all order by weekend
    """).fetchall()
    (_, weekday), (_, weekend) = per_day
    assert weekend < 0.5 * weekday


def test_most_opportunities_close_within_120_days(db):
    share = rate(
        db,
        """
        select avg((date_diff('day', created_at::timestamp, closed_at::timestamp) <= 120)::int)
        from opportunities where is_closed = 'true'
    """,
    )
    assert share > 0.9


def test_amounts_and_close_dates_are_revised_along_the_way(db):
    changed = rate(
        db,
        """
        select count(*) from (
            select opportunity_id from opportunity_stage_history
            group by opportunity_id
            having count(distinct amount) > 1 or count(distinct close_date) > 1)
    """,
    )
    assert changed > 100


def test_the_landing_zone_is_the_one_in_the_fixture(db):
    # Guards the fixture itself: a silent empty read would make every test above vacuous.
    assert rate(db, "select count(*) from leads") > 7_900
