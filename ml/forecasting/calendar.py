"""Periods (weeks from Monday, calendar months) and what the calendar alone predicts.

**Calendar weights.** Deals close unevenly within a month: in sales data the last days
of a month (quarter) carry several times an ordinary day's revenue, and weekends almost
none. A week that holds a month end therefore earns far more than the week before it,
whatever the trend (months all hold one month end: their weight is their length). We
estimate a multiplicative day profile from the daily total,
``factor(days to month end, capped at 5) x factor(weekday)``, by iterative proportional
fitting (a two-way Poisson model in closed form), and sum it over a period's days. Dividing a
series by its periods' weights gives "revenue per ordinary day", which smooth models
(run rate, ETS) forecast; multiplying back by the future periods' weights puts the
month-end spikes where the calendar says they fall. The profile comes from the total (one
shared business calendar: segments are too sparse to estimate their own) and only from
days before the forecast origin.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

END_BUCKETS = 6  # days to month end 0..4, then "5 or more"
_MEAN_DAYS = {"week": 7.0, "month": 365.25 / 12}


def period_start(day: date, grain: str) -> date:
    """The first day of the week (Monday) or month holding ``day``."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def period_end(start: date, grain: str) -> date:
    """The last day (inclusive) of the period starting on ``start``."""
    if grain == "week":
        return start + timedelta(days=6)
    return (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()


def next_start(start: date, grain: str, steps: int = 1) -> date:
    """The start of the period ``steps`` periods after the one starting on ``start``."""
    if grain == "week":
        return start + timedelta(weeks=steps)
    return (pd.Timestamp(start) + pd.DateOffset(months=steps)).date()


def first_open_period(as_of: date, grain: str) -> date:
    """The first period not over by the end of ``as_of``: the first one to forecast."""
    return period_start(as_of + timedelta(days=1), grain)


def period_range(first: date, count: int, grain: str) -> pd.DatetimeIndex:
    """``count`` consecutive period starts from ``first``."""
    freq = "W-MON" if grain == "week" else "MS"
    return pd.date_range(pd.Timestamp(first), periods=count, freq=freq, name="period_start")


def day_profile(daily_total: pd.Series, iterations: int = 20) -> np.ndarray:
    """Fit the day profile on a daily revenue series (index: dates).

    Returns a ``(END_BUCKETS, 7)`` array of multiplicative day factors whose mean over the
    days given is 1. All ones when there is no revenue (nothing to learn from).
    """
    values = np.clip(np.asarray(daily_total, dtype=float), 0.0, None)
    if len(values) == 0 or values.sum() <= 0:
        return np.ones((END_BUCKETS, 7))
    end, dow = _day_keys(pd.DatetimeIndex(daily_total.index))
    f_end, f_dow = np.ones(END_BUCKETS), np.ones(7)
    count = np.zeros((END_BUCKETS, 7))
    total = np.zeros((END_BUCKETS, 7))
    np.add.at(count, (end, dow), 1.0)
    np.add.at(total, (end, dow), values)
    for _ in range(iterations):
        f_dow = total.sum(0) / np.maximum((count * f_end[:, None]).sum(0), 1e-12)
        f_end = total.sum(1) / np.maximum((count * f_dow[None, :]).sum(1), 1e-12)
    # A bucket never seen (a short history) keeps weight 1 rather than 0.
    f_end[count.sum(1) == 0] = 1.0
    f_dow[count.sum(0) == 0] = 1.0
    profile = np.outer(f_end, f_dow)
    return profile / (profile * count).sum() * count.sum()


def calendar_weights(periods: pd.DatetimeIndex, grain: str, profile: np.ndarray) -> np.ndarray:
    """Expected share of an ordinary period's revenue that each period earns (mean ~1).

    Weeks: the day profile summed over the week (does it hold a month end?). Months:
    the number of days only, since every month holds one month end; the weekday mix of a
    month moved the backtest the wrong way (it mostly echoes deals booked on Mondays).
    """
    if grain == "month":
        return (periods + pd.offsets.MonthEnd(0)).day.to_numpy() / _MEAN_DAYS["month"]
    out = np.empty(len(periods))
    for i, start in enumerate(periods):
        days = pd.date_range(start, period_end(start.date(), grain), freq="D")
        end, dow = _day_keys(days)
        out[i] = profile[end, dow].sum() / _MEAN_DAYS[grain]
    return out


def calendar_features(periods: pd.DatetimeIndex, grain: str) -> np.ndarray:
    """Known-in-advance features per period for the LSTM: position in year and quarter.

    Returns a ``(len(periods), 4)`` float32 array: sine/cosine of the year angle at the
    period's middle day, sine/cosine of the quarter angle (quarter-end pushes).
    """
    middle = periods + pd.Timedelta(days=3 if grain == "week" else 14)
    year = 2 * np.pi * (middle.dayofyear.to_numpy() - 1) / 365.25
    quarter = 2 * np.pi * ((middle.month.to_numpy() - 1) % 3 + middle.day.to_numpy() / 31) / 3
    return np.column_stack([np.sin(year), np.cos(year), np.sin(quarter), np.cos(quarter)]).astype(
        np.float32
    )


def _day_keys(days: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    to_end = (days + pd.offsets.MonthEnd(0) - days).days.to_numpy()
    return np.minimum(to_end, END_BUCKETS - 1), days.dayofweek.to_numpy()
