"""Accounts and sales reps: the slowly changing entities leads are attached to.

Most exist before the first delivery (they arrive in the first day's files), a few
are created during the window, and some are updated once later on. Their arrays
are kept for the whole run because every lead cohort draws from them; they grow
with the number of leads (one account per ~6 leads), not with the number of days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ml.generate import columns as col
from ml.generate import vocab
from ml.generate.timeline import DAY, Timeline, office_seconds
from ml.generate.writer import Rows


@dataclass(frozen=True)
class Accounts:
    """Accounts sorted by creation time; index i has id ``ACC`` + (i + 1)."""

    created: np.ndarray  # epoch seconds
    employees: np.ndarray
    industry: np.ndarray
    country: np.ndarray
    name: pa.Array
    domain: pa.Array

    def available(self, at: np.ndarray) -> np.ndarray:
        """How many accounts exist at each time (epoch seconds): accounts 0..k-1."""
        return np.searchsorted(self.created, np.asarray(at), side="right")


@dataclass(frozen=True)
class Reps:
    """Sales reps sorted by hire day; index i has id ``R`` + (i + 1)."""

    hired_day: np.ndarray
    skill: np.ndarray  # log-odds added to their opportunities' win chance

    def available(self, epoch_day: np.ndarray) -> np.ndarray:
        """How many reps are hired by each day (reps 0..k-1)."""
        return np.searchsorted(self.hired_day, np.asarray(epoch_day), side="right")


def _creation_days(rng: np.random.Generator, tl: Timeline, n: int, history_days: int) -> np.ndarray:
    """Most before the window (up to ``history_days`` back), the rest where leads arrive."""
    before = rng.random(n) < 0.85
    weights = (tl.lead_counts + 1.0) / (tl.lead_counts + 1.0).sum()
    inside = tl.start_day + rng.choice(tl.days, size=n, p=weights)
    return np.where(before, tl.start_day - rng.integers(1, history_days, n), inside)


def _update_days(
    rng: np.random.Generator, tl: Timeline, first_day: np.ndarray, share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Indexes of rows that get one later update, and the day of that update."""
    lo = np.maximum(first_day + 1, tl.start_day)
    hi = tl.start_day + tl.days  # exclusive
    chosen = np.flatnonzero((rng.random(len(first_day)) < share) & (lo < hi))
    return chosen, lo[chosen] + (rng.random(len(chosen)) * (hi - lo[chosen])).astype(np.int64)


def make_accounts(rng: np.random.Generator, tl: Timeline, leads: int) -> tuple[Accounts, Rows]:
    """Draw the accounts (about one per six leads) and their delivered rows."""
    n = max(20, leads // 6 + 1)
    day = _creation_days(rng, tl, n, 3 * 365)
    day[0] = min(day[0], tl.start_day - 1)  # leads on day one need an account to belong to
    created = np.sort(day * DAY + office_seconds(rng, n))  # account ids follow creation time
    day = created // DAY
    region = rng.choice(len(vocab.REGIONS), size=n, p=vocab.REGION_WEIGHTS)
    within = rng.random(n)
    country = np.empty(n, dtype=np.int64)
    for r in range(len(vocab.REGIONS)):  # pick a country inside each region
        ids = np.flatnonzero(vocab.COUNTRY_REGION == r)
        cdf = np.cumsum(vocab.COUNTRY_WEIGHT_IN_REGION[ids])
        mine = region == r
        country[mine] = ids[np.minimum(np.searchsorted(cdf / cdf[-1], within[mine]), len(ids) - 1)]
    employees = np.clip(np.round(rng.lognormal(np.log(150), 1.4, n)), 2, 250_000).astype(np.int64)
    revenue = (
        np.round(employees * 180.0 * rng.lognormal(0, 0.5, n)) * 100_000
    )  # cents, whole $1,000
    industry = rng.integers(0, len(vocab.INDUSTRIES), n)
    prefix = col.pick(vocab.COMPANY_PREFIXES, rng.integers(0, len(vocab.COMPANY_PREFIXES), n))
    core = col.pick(vocab.COMPANY_CORES, rng.integers(0, len(vocab.COMPANY_CORES), n))
    suffix = col.pick(vocab.COMPANY_SUFFIXES, rng.integers(0, len(vocab.COMPANY_SUFFIXES), n))
    name = pc.binary_join_element_wise(prefix, core, suffix, "")
    domain = pc.binary_join_element_wise(
        pc.utf8_lower(prefix), core, col.pick(vocab.COUNTRY_TLD, country), ""
    )
    accounts = Accounts(created, employees, industry, country, name, domain)

    upd, upd_day = _update_days(rng, tl, day, 0.15)
    idx = np.concatenate([np.arange(n), upd])
    updated = np.concatenate([created, upd_day * DAY + office_seconds(rng, len(upd))])
    grow = np.concatenate([np.ones(n), rng.lognormal(0.05, 0.1, len(upd))])
    table = pa.table(
        {
            "account_id": col.ids("ACC", idx + 1, 7),
            "account_name": name.take(pa.array(idx)),
            "created_at": col.timestamps(created[idx]),
            "updated_at": col.timestamps(updated),
            "industry": col.pick(vocab.INDUSTRIES, industry[idx]),
            "employees": col.integers(np.maximum(1, np.round(employees[idx] * grow))),
            "annual_revenue": col.money(np.round(revenue[idx] * grow / 100_000) * 100_000),
            "country": col.pick(vocab.COUNTRIES, country[idx]),
            "region": col.pick(vocab.REGIONS, vocab.COUNTRY_REGION[country[idx]]),
        }
    )
    delivery = np.maximum(updated // DAY, tl.start_day) - tl.start_day
    return accounts, Rows(table, delivery, updated)


def make_reps(rng: np.random.Generator, tl: Timeline, leads: int) -> tuple[Reps, Rows]:
    """Draw the sales reps (more for more leads) and their delivered rows."""
    n = int(np.clip(leads // 2500 + 8, 8, 400))
    managers = max(1, n // 8)
    day = _creation_days(rng, tl, n, 5 * 365)
    day[:managers] = tl.start_day - rng.integers(400, 5 * 365, managers)  # managers came first
    order = np.argsort(day, kind="stable")
    day = day[order]
    is_manager = np.zeros(n, dtype=bool)
    is_manager[np.argsort(order)[:managers]] = True
    manager_of = np.flatnonzero(is_manager)[rng.integers(0, managers, n)]
    skill = rng.normal(0.0, 0.5, n)
    skill -= skill.mean()  # the average rep is average: win rates stay on target with few reps
    team = rng.integers(0, len(vocab.TEAMS), n)
    region = rng.choice(len(vocab.REGIONS), size=n, p=vocab.REGION_WEIGHTS)
    first = rng.integers(0, len(vocab.FIRST_NAMES), n)
    last = rng.integers(0, len(vocab.LAST_NAMES), n)

    upd, upd_day = _update_days(rng, tl, day, 0.2)
    idx = np.concatenate([np.arange(n), upd])
    updated = np.concatenate(
        [day * DAY + office_seconds(rng, n), upd_day * DAY + office_seconds(rng, len(upd))]
    )
    new_team = np.concatenate(
        [team, (team[upd] + rng.integers(1, len(vocab.TEAMS), len(upd))) % len(vocab.TEAMS)]
    )
    table = pa.table(
        {
            "rep_id": col.ids("R", idx + 1, 4),
            "rep_name": pc.binary_join_element_wise(
                col.pick(vocab.FIRST_NAMES, first[idx]), col.pick(vocab.LAST_NAMES, last[idx]), " "
            ),
            "updated_at": col.timestamps(updated),
            "team": col.pick(vocab.TEAMS, new_team),
            "region": col.pick(vocab.REGIONS, region[idx]),
            "manager_id": col.ids("R", manager_of[idx] + 1, 4, valid=~is_manager[idx]),
            "hired_at": col.dates(day[idx]),
        }
    )
    delivery = np.maximum(updated // DAY, tl.start_day) - tl.start_day
    return Reps(day, skill), Rows(table, delivery, updated)
