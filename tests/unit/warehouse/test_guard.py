"""The publish guard counts a date-partitioned mart by the night's own partition."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from ml.warehouse.guard import PublishGuardError, check_against_last_night, guard_counts

D = date(2025, 3, 30)


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create schema marts; create schema raw")
    # 40 rows tonight, 900 on earlier as-of dates; a per-night flow with 30 rows tonight
    con.execute(
        "create table marts.lead_features as select 'L' || range as lead_id, "
        "case when range < 40 then date '2025-03-30' else date '2025-03-23' end as as_of_date "
        "from range(940)"
    )
    con.execute(
        "create table marts.pipeline_flow as select date '2025-03-30' as snapshot_date "
        "from range(30)"
    )
    con.execute("create table marts.opportunities as select range as id from range(50)")
    yield con
    con.close()


def test_a_partitioned_mart_is_counted_by_the_nights_own_partition(con):
    assert guard_counts(con, D) == {
        "marts.lead_features (as of the business date)": 40,
        "marts.opportunities": 50,
        "marts.pipeline_flow (as of the business date)": 30,
    }


def test_a_rerun_of_an_earlier_date_is_compared_partition_with_partition(con):
    # The last night (D + 1) had as many rows in its own partitions: nothing is short,
    # although a rerun of D holds fewer partitions than the file published after D + 1.
    last = {
        "business_date": "2025-03-31",
        "guard_counts": {
            "marts.lead_features (as of the business date)": 45,
            "marts.pipeline_flow (as of the business date)": 32,
            "marts.opportunities": 52,
        },
    }
    assert check_against_last_night(guard_counts(con, D), D, last, force=False) == []


def test_a_short_partition_stops_the_night_and_names_it(con):
    last = {
        "business_date": "2025-03-31",
        "guard_counts": {"marts.lead_features (as of the business date)": 100},
    }
    with pytest.raises(PublishGuardError) as error:
        check_against_last_night(guard_counts(con, D), D, last, force=False)
    assert (
        "marts.lead_features (as of the business date) has 40 rows for 2025-03-30, against "
        "100 in the last published night (2025-03-31)" in str(error.value)
    )


def test_after_an_upgrade_a_whole_table_count_is_not_held_against_a_partition(con):
    # An older manifest counted the whole mart; tonight counts its partition.
    last = {"business_date": "2025-03-29", "guard_counts": {"marts.lead_features": 9000}}
    assert check_against_last_night(guard_counts(con, D), D, last, force=False) == []


def test_a_mart_that_is_gone_still_stops_the_night(con):
    last = {"business_date": "2025-03-29", "guard_counts": {"marts.accounts": 500}}
    with pytest.raises(PublishGuardError, match="marts.accounts has 0 rows for 2025-03-30"):
        check_against_last_night(guard_counts(con, D), D, last, force=False)
