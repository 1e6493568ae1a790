"""Small synthetic marts for the forecasting tests: a few segments, two and a half years.

Revenue has a level that grows, more deals in the last days of a month, nothing at
weekends, and one rep (``R9``) who only started recently, so the rep fallback and the
``rep:other`` bucket are exercised. Everything is seeded: tests are deterministic.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

START = date(2023, 1, 2)  # a Monday
AS_OF = date(2025, 6, 18)  # a Wednesday: the week of 16 June and June itself are open
REGIONS = ("north", "south")
PRODUCTS = ("core", "plus")
REPS = ("R1", "R2", "R3", "R9")
LATE_REP_START = date(2025, 4, 1)


def make_daily_revenue(seed: int = 7, end: date = date(2025, 6, 30)) -> pd.DataFrame:
    """The dense ``daily_revenue`` mart: every day x region x product x rep, zeros included."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(START, end, freq="D")
    t = np.arange(len(days)) / 365.0
    to_month_end = (days + pd.offsets.MonthEnd(0) - days).days.to_numpy()
    intensity = 0.35 * np.exp(0.25 * t) * np.where(to_month_end < 3, 4.0, 1.0)
    intensity *= np.where(days.dayofweek.to_numpy() >= 5, 0.0, 1.0)
    rows = []
    for region in REGIONS:
        for product in PRODUCTS:
            for rep in REPS:
                deals = rng.poisson(intensity / 4)
                if rep == "R9":
                    deals[days < pd.Timestamp(LATE_REP_START)] = 0
                amount = np.array([rng.lognormal(9.0, 0.6, n).sum() for n in deals])
                rows.append(
                    pd.DataFrame(
                        {
                            "revenue_date": days.date,
                            "region": region,
                            "product": product,
                            "owner_rep_id": rep,
                            "won_amount": np.round(amount, 2),
                            "currency": "USD",
                            "won_deals": deals,
                            "won_deals_without_amount": 0,
                        }
                    )
                )
    return pd.concat(rows, ignore_index=True)


def make_market_indicators(end: date = date(2025, 6, 30)) -> pd.DataFrame:
    """``market_indicators_daily``: a slow PMI wave, forward filled every day."""
    days = pd.date_range(START, end, freq="D")
    pmi = 50 + 2 * np.sin(np.arange(len(days)) / 60)
    return pd.DataFrame(
        {
            "indicator_date": days.date,
            "indicator": "pmi",
            "indicator_value": pmi,
            "observed_on": days.date,
            "is_observed": True,
            "days_since_observation": 0,
            "source": "test",
        }
    )
