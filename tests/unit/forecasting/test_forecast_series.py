"""From the daily mart to weekly and monthly series: complete periods, segments, status."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from forecast_data import AS_OF

from ml.forecasting import calendar
from ml.forecasting.features import OTHER_REPS, build_series, market_covariates


@pytest.fixture(scope="module")
def series(daily_revenue, config):
    return build_series(daily_revenue, config, as_of=AS_OF)


def test_only_complete_periods_up_to_as_of(series):
    weeks, months = series.frame("week"), series.frame("month")
    # AS_OF is Wednesday 18 June 2025: the last complete week began Monday 9 June.
    assert weeks.index[-1] == pd.Timestamp("2025-06-09")
    assert months.index[-1] == pd.Timestamp("2025-05-01")
    assert (weeks.index.dayofweek == 0).all()
    assert (months.index.day == 1).all()


def test_data_after_as_of_changes_nothing(daily_revenue, config, series):
    later = daily_revenue.copy()
    later.loc[pd.to_datetime(later["revenue_date"]).dt.date > AS_OF, "won_amount"] = 1e9
    again = build_series(later, config, as_of=AS_OF)
    pd.testing.assert_frame_equal(again.frame("week"), series.frame("week"))
    pd.testing.assert_frame_equal(again.frame("month"), series.frame("month"))


def test_a_first_period_the_data_only_partly_covers_is_dropped(daily_revenue, config):
    starts_midweek = daily_revenue[pd.to_datetime(daily_revenue["revenue_date"]) >= "2023-01-04"]
    weeks = build_series(starts_midweek, config, as_of=AS_OF).frame("week")
    assert weeks.index[0] == pd.Timestamp("2023-01-09")


def test_every_hierarchy_sums_to_the_total(series):
    for grain in ("week", "month"):
        frame = series.frame(grain)
        for level in ("region", "product", "rep"):
            members = [c for c in frame.columns if c.startswith(level + ":")]
            np.testing.assert_allclose(frame[members].sum(axis=1), frame["total"], rtol=1e-9)


def test_a_rep_with_a_short_history_is_pooled_into_rep_other(series):
    columns = set(series.frame("week").columns)
    assert {"rep:R1", "rep:R2", "rep:R3", OTHER_REPS} <= columns
    assert "rep:R9" not in columns
    assert series.pooled_reps == ("R9",)
    assert series.rep_segment("R9") == OTHER_REPS and series.rep_segment("R1") == "rep:R1"


def test_short_and_empty_series_get_a_status_and_a_reason(daily_revenue, config):
    as_of = date(2023, 5, 31)  # five months of history
    status = build_series(daily_revenue, config, as_of=as_of).status.set_index(["grain", "segment"])
    total = status.loc[("week", "total")]
    assert total["status"] == "short"
    assert "weeks since the first win, 39 needed" in total["reason"]
    assert status.loc[("month", "total"), "status"] == "short"


def test_sparse_series_are_flagged(daily_revenue, config):
    sparse = daily_revenue.copy()
    keep = (sparse["region"] == "north") & (pd.to_datetime(sparse["revenue_date"]).dt.day != 30)
    sparse.loc[keep, "won_amount"] = 0.0
    status = build_series(sparse, replace(config, max_zero_share=0.5), as_of=AS_OF).status
    north = status[(status["grain"] == "week") & (status["segment"] == "region:north")].iloc[0]
    assert north["status"] == "sparse" and "had no revenue" in north["reason"]


def test_no_revenue_at_all_is_an_error(daily_revenue, config):
    with pytest.raises(ValueError, match="no rows on or before"):
        build_series(daily_revenue, config, as_of=date(2020, 1, 1))


def test_market_covariates_are_period_means(market_daily):
    weekly = market_covariates(market_daily, "week")
    assert list(weekly.columns) == ["pmi"]
    assert weekly.index[0] == pd.Timestamp("2023-01-02")
    first_week = market_daily["indicator_value"].iloc[:7].mean()
    assert weekly["pmi"].iloc[0] == pytest.approx(first_week)
    assert market_covariates(market_daily.iloc[:0], "month").empty


def test_period_helpers():
    wednesday = date(2025, 6, 18)
    assert calendar.period_start(wednesday, "week") == date(2025, 6, 16)
    assert calendar.period_end(date(2025, 2, 1), "month") == date(2025, 2, 28)
    assert calendar.first_open_period(wednesday, "week") == date(2025, 6, 16)
    sunday = date(2025, 6, 22)
    assert calendar.first_open_period(sunday, "week") == sunday + timedelta(days=1)
    assert calendar.first_open_period(date(2025, 6, 30), "month") == date(2025, 7, 1)


def test_calendar_weights_put_month_ends_where_the_revenue_is(series):
    profile = calendar.day_profile(series.daily_total)
    assert profile[0].max() > 2 * profile[-1].max()  # last day of month vs ordinary days
    assert profile[:, 5:].max() < 0.2 * profile[:, :5].max()  # weekends earn almost nothing
    weeks = calendar.period_range(date(2025, 6, 2), 5, "week")  # 30 June is in the last week
    weights = calendar.calendar_weights(weeks, "week", profile)
    assert weights.argmax() == 4
