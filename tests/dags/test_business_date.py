"""Asset-scheduled DAGs find their business date in the events that triggered them."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from salespipe_assets import business_date_extra, business_date_of, trigger_of


def events(*extras):
    return {"duckdb://warehouse/marts/lead_features": [SimpleNamespace(extra=e) for e in extras]}


def test_a_param_wins_over_the_events():
    got = business_date_of(
        {"business_date": "2024-05-01"}, events(business_date_extra(date(2024, 6, 1)))
    )
    assert got == date(2024, 5, 1)


def test_the_latest_event_date_is_taken():
    triggering = events(
        business_date_extra(date(2024, 6, 1)), business_date_extra(date(2024, 6, 2)), {}
    )
    assert business_date_of({"business_date": None}, triggering) == date(2024, 6, 2)


def test_no_date_anywhere_is_an_error_that_says_what_to_do():
    with pytest.raises(
        ValueError, match="trigger this DAG with the param business_date=YYYY-MM-DD"
    ):
        business_date_of({}, events({}))


def test_the_trigger_comes_from_the_event_or_the_default():
    assert trigger_of({}, events({"trigger": "drift"}), "manual") == "drift"
    assert trigger_of({"trigger": "drift"}, {}, "manual") == "drift"
    assert trigger_of({"trigger": None}, {}, "manual") == "manual"


def test_a_data_interval_run_falls_back_to_its_interval_start():
    import pendulum

    start = pendulum.datetime(2024, 3, 5, tz="UTC")
    assert business_date_of({"business_date": None}, {}, start) == date(2024, 3, 5)
    assert business_date_of({"business_date": "2024-01-01"}, {}, start) == date(2024, 1, 1)
