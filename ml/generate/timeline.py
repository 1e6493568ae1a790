"""The calendar every event is placed on: market indicators, lead volume, office hours.

Times are int64 seconds since 1970-01-01 UTC and days are int epoch days, so
calendar arithmetic stays vectorised. Arrays here are one value per day: they grow
with ``days`` but are tiny (a few kB per year) next to the per-cohort arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ml.generate import columns as col
from ml.generate import vocab
from ml.generate.writer import Rows

DAY = 86_400
# Market history delivered with the first day, so lagged indicators exist from day 1.
LOOKBACK_DAYS = 60
# Leads and win rates respond to the PMI this many days earlier.
PMI_LAG_DAYS = 21
LEAD_GROWTH_PER_YEAR = 0.40


@dataclass(frozen=True)
class Timeline:
    """Per-day series for the delivery window (plus ``LOOKBACK_DAYS`` of history)."""

    start_day: int  # epoch day of the first delivery
    days: int
    pmi: np.ndarray  # index i is epoch day start_day - LOOKBACK_DAYS + i
    interest_rate: np.ndarray
    lead_counts: np.ndarray  # leads created on each delivery day (sums to the lead total)

    @property
    def end_second(self) -> int:
        """First second after the window: events at or after it have not happened yet."""
        return (self.start_day + self.days) * DAY

    def pmi_lagged(self, epoch_day: np.ndarray) -> np.ndarray:
        """PMI ``PMI_LAG_DAYS`` before each day (clamped to the generated history)."""
        i = np.asarray(epoch_day) - PMI_LAG_DAYS - (self.start_day - LOOKBACK_DAYS)
        return self.pmi[np.clip(i, 0, len(self.pmi) - 1)]


def build_timeline(rng: np.random.Generator, start_day: int, days: int, leads: int) -> Timeline:
    """Draw the market indicators and spread ``leads`` over the days.

    PMI is a mean-reverting walk around 50; the interest rate drifts slowly. Lead
    volume has an upward trend, weekly and yearly seasonality and follows the PMI.
    """
    n = LOOKBACK_DAYS + days
    shocks = rng.normal(0.0, 0.5, n)
    pmi = np.empty(n)
    level = rng.normal(0.0, 2.0)
    for i in range(n):  # one step per day: a few thousand iterations at most
        level = 0.98 * level + shocks[i]
        pmi[i] = 50.0 + level
    rate_steps = rng.normal(-0.0005, 0.012, n)
    rate = np.clip(rng.uniform(3.5, 5.5) + np.cumsum(rate_steps), 0.25, 9.0)

    day = start_day + np.arange(days)
    intensity = (
        np.exp(np.log1p(LEAD_GROWTH_PER_YEAR) * np.arange(days) / 365.0)
        * vocab.WEEKDAY_FACTOR[weekday(day)]
        * vocab.MONTH_FACTOR[month(day)]
        * np.exp(0.08 * (pmi[LOOKBACK_DAYS - PMI_LAG_DAYS + np.arange(days)] - 50.0))
        * rng.lognormal(0.0, 0.08, days)
    )
    counts = rng.multinomial(leads, intensity / intensity.sum())
    return Timeline(start_day, days, np.round(pmi, 1), np.round(rate, 2), counts)


def weekday(epoch_day: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday)."""
    return (np.asarray(epoch_day) + 3) % 7


def month(epoch_day: np.ndarray) -> np.ndarray:
    """Month of year, January = 0."""
    return (
        np.asarray(epoch_day).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
    )


def month_end(epoch_day: np.ndarray) -> np.ndarray:
    """Epoch day of the last day of each day's month."""
    m = np.asarray(epoch_day).astype("datetime64[D]").astype("datetime64[M]")
    return (m + 1).astype("datetime64[D]").astype(np.int64) - 1


def office_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Time of day (seconds) during office hours, peaking early afternoon."""
    return ((7.5 + 12.0 * rng.beta(3.0, 3.5, n)) * 3600).astype(np.int64)  # 07:30-19:30


def any_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Time of day for web traffic: mostly office hours, some around the clock."""
    office = office_seconds(rng, n)
    anytime = rng.integers(0, DAY, n)
    return np.where(rng.random(n) < 0.7, office, anytime)


def skip_weekend(rng: np.random.Generator, epoch_day: np.ndarray, keep: float = 0.1) -> np.ndarray:
    """Move most weekend days to the following Monday (a share ``keep`` stays)."""
    wd = weekday(epoch_day)
    move = (wd >= 5) & (rng.random(len(epoch_day)) >= keep)
    return np.where(move, epoch_day + 7 - wd, epoch_day)


def office_event(
    rng: np.random.Generator, previous: np.ndarray, gap_days: np.ndarray
) -> np.ndarray:
    """Time of a rep's next action ``gap_days`` after ``previous`` (epoch seconds).

    Lands in office hours, mostly on a weekday, and always strictly after ``previous``.
    """
    n = len(previous)
    day = skip_weekend(rng, (previous + (gap_days * DAY).astype(np.int64)) // DAY)
    t = day * DAY + office_seconds(rng, n)
    return np.maximum(t, previous + rng.integers(300, 3600, n))


def market_rows(tl: Timeline) -> Rows:
    """One row per indicator per day; the history before the window comes with day one."""
    n = len(tl.pmi)
    day = tl.start_day - LOOKBACK_DAYS + np.arange(n)
    both = np.concatenate([day, day])
    value = np.concatenate([tl.pmi, tl.interest_rate])
    table = pa.table(
        {
            "date": col.dates(both),
            "indicator": col.pick(("pmi", "interest_rate"), np.repeat([0, 1], n)),
            "value": col.money(np.round(value * 100).astype(np.int64)),
            "source": col.pick(("synthetic",), np.zeros(2 * n, dtype=np.int64)),
        }
    )
    delivery = np.maximum(both - tl.start_day, 0)
    return Rows(table, delivery, both * 2 + np.repeat([0, 1], n))
