"""Opportunities: created when a lead converts, then moved stage by stage to a close.

An opportunity's velocity scales the time it spends in every stage; fast movers,
smaller deals, better reps, a higher PMI and a Q4 close all raise the win chance.
Won deals bunch their close at the end of the month, as reps push to hit quota.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.generate import vocab
from ml.generate.entities import Accounts, Reps
from ml.generate.leads import Cohort
from ml.generate.timeline import (
    DAY,
    Timeline,
    month,
    month_end,
    office_event,
    office_seconds,
    weekday,
)

# Intercept of the win log-odds, tuned for a win rate near 30%.
WIN_INTERCEPT = -0.9
NO_TIME = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Opportunities:
    """Per-opportunity arrays of one cohort; slot 0-3 = open stages, slot 4 = closed."""

    lead: np.ndarray  # index into the cohort
    number: np.ndarray  # id OPP + 8 digits (the lead's number)
    account: np.ndarray
    rep: np.ndarray
    product: np.ndarray
    won: np.ndarray
    velocity: np.ndarray
    time: np.ndarray  # (n, 5) epoch seconds, NO_TIME where the stage is never reached
    stage: np.ndarray  # (n, 5) stage code of each slot
    cents: np.ndarray  # (n, 5) amount at each slot
    close_day: np.ndarray  # (n, 5) expected close date (epoch day) at each slot


def _amount_cents(
    rng: np.random.Generator, product: np.ndarray, employees: np.ndarray, seats: np.ndarray
) -> np.ndarray:
    n = len(product)
    estimate = np.clip(employees * 0.05 * rng.lognormal(0, 0.5, n), 5, 3000)
    seats = np.where(seats > 0, seats, estimate)
    amount = vocab.PRODUCT_SEAT_PRICE[product] * seats * rng.lognormal(0, 0.25, n)
    services = vocab.SERVICES_AMOUNT * rng.lognormal(0, 0.5, n)
    amount = np.maximum(np.where(product == 3, services, amount), 500.0)
    return np.round(amount / 10).astype(np.int64) * 1000  # whole $10, in cents


def _expected_close(rng: np.random.Generator, day: np.ndarray, days_left: float) -> np.ndarray:
    """A rep's guess of the close date; half of them pick a month end."""
    guess = day + np.maximum(1, np.round(days_left * rng.lognormal(0, 0.3, len(day)))).astype(
        np.int64
    )
    return np.where(rng.random(len(day)) < 0.5, month_end(guess), guess)


def _end_of_month_push(
    rng: np.random.Generator, close: np.ndarray, previous: np.ndarray
) -> np.ndarray:
    """Move some closes to one of the last weekdays of their month (never earlier)."""
    day = close // DAY
    target = month_end(day) - rng.choice(3, size=len(day), p=[0.5, 0.3, 0.2])
    wd = weekday(target)
    target = np.where(wd >= 5, target - (wd - 4), target)  # weekend -> Friday before
    push = (rng.random(len(day)) < 0.35) & (target > day)
    moved = target * DAY + office_seconds(rng, len(day))
    return np.where(push & (moved > previous), moved, close)


def draw_opportunities(
    rng: np.random.Generator, c: Cohort, accounts: Accounts, reps: Reps, tl: Timeline
) -> Opportunities:
    """One opportunity per lead of the cohort that converted inside the window."""
    lead = np.flatnonzero(c.converted & (c.status_time[:, 3] < tl.end_second))
    n = len(lead)
    account, rep = c.account[lead], c.rep[lead]
    employees = accounts.employees[account]
    u = rng.random(n)
    p_enterprise = np.where(employees > 1000, 0.5, 0.1)
    product = np.select([u < 0.1, u < 0.1 + p_enterprise, u < 0.35 + p_enterprise], [3, 2, 1], 0)
    cents = _amount_cents(rng, product, employees, c.seats[lead])
    velocity = rng.lognormal(0.0, 0.45, n)
    stay = vocab.STAGE_DAYS * velocity[:, None] * rng.gamma(3.0, 1 / 3, (n, 4))

    t = np.empty((n, 5), dtype=np.int64)
    t[:, 0] = c.status_time[lead, 3] + rng.integers(60, 900, n)
    for s in range(4):
        t[:, s + 1] = office_event(rng, t[:, s], stay[:, s])
    lost_at = rng.choice(4, size=n, p=vocab.LOST_AT_WEIGHTS)
    logit = (
        WIN_INTERCEPT
        - 1.3 * np.log(velocity)
        - 0.6 * np.maximum(0.0, np.log(cents / 6_000_000))
        + reps.skill[rep]
        + 0.08 * (tl.pmi_lagged(t[:, 0] // DAY) - 50.0)
        + vocab.MONTH_WIN_EFFECT[month(t[:, 4] // DAY)]
        + 0.3 * c.interest[lead]
    )
    won = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    rows = np.arange(n)
    lost_time = office_event(rng, t[rows, lost_at], stay[rows, lost_at] * 1.5)  # losers linger
    t[:, 4] = np.where(won, _end_of_month_push(rng, t[:, 4], t[:, 3]), lost_time)
    reached = won[:, None] | (np.arange(4)[None, :] <= lost_at[:, None])
    t[:, :4] = np.where(reached, t[:, :4], NO_TIME)

    stage = np.tile(np.arange(5), (n, 1))
    stage[:, 4] = np.where(won, vocab.CLOSED_WON, vocab.CLOSED_LOST)
    amount = np.empty((n, 5), dtype=np.int64)
    close = np.empty((n, 5), dtype=np.int64)
    amount[:, 0] = cents
    close[:, 0] = _expected_close(rng, t[:, 0] // DAY, float(vocab.STAGE_DAYS.sum()))
    for s in range(1, 5):
        revise = rng.random(n) < 0.25
        factor = rng.lognormal(-0.02, 0.12, n)
        amount[:, s] = np.where(
            revise, np.round(amount[:, s - 1] * factor / 1000) * 1000, amount[:, s - 1]
        )
        day = np.where(t[:, s] < NO_TIME, t[:, s], t[:, 4]) // DAY
        guess = _expected_close(rng, day, float(vocab.STAGE_DAYS[s:].sum()) + 3.0)
        slipped = close[:, s - 1] <= day
        close[:, s] = np.where(slipped | (rng.random(n) < 0.3), guess, close[:, s - 1])
    close[:, 4] = t[:, 4] // DAY  # a closed deal's close date is the day it closed
    amount[:, 4] = np.where(t[:, 3] < NO_TIME, amount[:, 3], amount[rows, lost_at])
    return Opportunities(
        lead, c.number[lead], account, rep, product, won, velocity, t, stage, amount, close
    )
