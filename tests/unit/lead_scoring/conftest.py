"""Small synthetic lead snapshots with known signal, shaped like marts.lead_features."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

BUSINESS_DATE = date(2024, 12, 31)


def make_leads(n: int = 3000, seed: int = 0, days: int = 360) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(features: one snapshot per lead at creation + 7 days, outcomes) over ``days`` days.

    Conversion depends on source, activity and a custom field; everything else is noise.
    """
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(BUSINESS_DATE - timedelta(days=days))
    created = start + pd.to_timedelta(np.sort(rng.uniform(0, days, n)), unit="D")
    source = rng.choice(["web", "referral", "event", "outbound"], n, p=[0.4, 0.2, 0.2, 0.2])
    activities = rng.poisson(3, n).astype(float)
    budget = rng.choice(["yes", "no", None], n)
    seats = np.where(rng.random(n) < 0.5, rng.integers(1, 50, n).astype(str), None)
    logit = (
        -2.2
        + np.select([source == "referral", source == "outbound"], [1.2, -0.8], 0.0)
        + 0.35 * activities
        + np.where(budget == "yes", 0.8, 0.0)
    )
    converted = rng.random(n) < 1 / (1 + np.exp(-logit))
    converted_at = pd.Series(
        np.where(converted, created + pd.to_timedelta(rng.uniform(8, 80, n), unit="D"), pd.NaT)
    )
    lead_id = [f"L{i:06d}" for i in range(n)]
    features = pd.DataFrame(
        {
            "lead_id": lead_id,
            "as_of_date": (created + pd.Timedelta(days=7)).normalize(),
            "created_at": created,
            "lead_age_days": 7,
            "lead_version_updated_at": created,
            "source": source,
            "status": "working",
            "title": "Head of things",
            "employees": rng.integers(5, 5000, n),
            "industry": rng.choice(["saas", "retail", None], n),
            "account_id": [f"A{i}" for i in rng.integers(0, 500, n)],
            "attr_budget_confirmed": budget,
            "attr_seats_requested": seats,
            "activities_total": activities,
        }
    )
    outcomes = pd.DataFrame({"lead_id": lead_id, "converted_at": converted_at})
    return features, outcomes


@pytest.fixture(scope="package")
def leads() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_leads()
