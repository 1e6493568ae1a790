"""One cohort of leads: who they are, whether they convert, and when their status changes.

Conversion is a logistic function of source, title seniority, company size, the
custom form fields, the rep, the PMI a few weeks earlier and a latent interest that
also drives engagement (activities), so every one of those is learnable signal.
A drifted cohort (see ``ml.generate.drift``) draws its sources and accounts from a
shifted mix; how a lead converts given what it is stays the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.generate import vocab
from ml.generate.drift import Drift
from ml.generate.entities import Accounts, Reps
from ml.generate.timeline import DAY, Timeline, any_seconds, office_event, office_seconds

# Intercept of the conversion log-odds, tuned for an overall conversion rate near 15%.
CONVERSION_INTERCEPT = -2.4
NO_TIME = np.iinfo(np.int64).max  # an event that never happens


@dataclass(frozen=True)
class Cohort:
    """Per-lead arrays of one cohort, in creation order. Times are epoch seconds."""

    number: np.ndarray  # 1-based lead number: id L + 8 digits
    created: np.ndarray
    source: np.ndarray
    title: np.ndarray  # -1 = empty
    budget: np.ndarray  # 2 = empty
    form: np.ndarray  # -1 = empty
    seats: np.ndarray  # 0 = empty
    account: np.ndarray  # index into Accounts
    rep: np.ndarray  # index into Reps
    interest: np.ndarray  # latent, standard normal
    converted: np.ndarray  # bool: will convert (if the window lasts long enough)
    status_time: np.ndarray  # (n, 4): open, working, qualified, final; NO_TIME if never
    final_status: np.ndarray  # CONVERTED or DISQUALIFIED (meaningful if final happens)
    engaged_until: np.ndarray  # end of the pre-opportunity engagement span


def _categorical(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(len(weights), size=n, p=weights / weights.sum())


def conversion_logit(
    c: Cohort, accounts: Accounts, reps: Reps, pmi_lagged: np.ndarray
) -> np.ndarray:
    """Log-odds that each lead converts (without the latent interest)."""
    employees = accounts.employees[c.account]
    logit = (
        CONVERSION_INTERCEPT
        + vocab.SOURCE_EFFECT[c.source]
        + np.where(c.title >= 0, vocab.TITLE_EFFECT[c.title], 0.0)
        + 0.35 * (np.log10(employees) - 2.0)
        + vocab.BUDGET_EFFECT[c.budget]
        + np.where(c.form >= 0, vocab.LEAD_FORM_EFFECT[c.form], 0.0)
        + np.where(c.seats > 0, 0.25 * np.log(np.maximum(c.seats, 1) / 10.0), 0.0)
        + 0.06 * (pmi_lagged - 50.0)
        + 0.2 * reps.skill[c.rep]
    )
    return logit


def conversion_probability(c: Cohort, accounts: Accounts, reps: Reps, tl: Timeline) -> np.ndarray:
    """Probability that each lead converts: the sigmoid of the full log-odds.

    The full log-odds is :func:`conversion_logit` plus the latent interest; this is
    the probability the conversion is drawn from, and the truth the generator writes.
    """
    logit = conversion_logit(c, accounts, reps, tl.pmi_lagged(c.created // DAY)) + c.interest
    return 1.0 / (1.0 + np.exp(-logit))


def draw_cohort(
    rng: np.random.Generator,
    tl: Timeline,
    accounts: Accounts,
    reps: Reps,
    first: int,
    n: int,
    drift: Drift | None = None,
) -> Cohort:
    """Draw leads ``first`` .. ``first + n - 1`` (0-based) and their status timelines.

    With ``drift``, every lead of the cohort comes from the drifted source mix and
    company sizes. Without it the draws are exactly those of a run that never drifts.
    """
    cum = np.cumsum(tl.lead_counts)
    day = tl.start_day + np.searchsorted(cum, first + np.arange(n), side="right")
    weights = vocab.SOURCE_WEIGHTS if drift is None else drift.source_weights()
    source = _categorical(rng, weights, n)
    created = day * DAY + np.where(
        vocab.SOURCE_IS_WEB[source], any_seconds(rng, n), office_seconds(rng, n)
    )
    order = np.argsort(created, kind="stable")  # ids increase with creation time
    created, source, day = created[order], source[order], day[order]

    if drift is None:
        account = (rng.random(n) * np.maximum(accounts.available(created), 1)).astype(np.int64)
    else:
        account = drift.pick_accounts(rng, accounts, created)
    rep = (rng.random(n) * np.maximum(reps.available(day), 1)).astype(np.int64)
    title = np.where(rng.random(n) < 0.05, -1, _categorical(rng, vocab.TITLE_WEIGHTS, n))
    budget = _categorical(rng, vocab.BUDGET_WEIGHTS, n)
    no_form = rng.random(n) < np.where(source == vocab.SOURCES.index("outbound"), 0.6, 0.1)
    form = np.where(no_form, -1, _categorical(rng, vocab.LEAD_FORM_WEIGHTS, n))
    asks = (form >= 0) & vocab.LEAD_FORM_ASKS_SEATS[np.maximum(form, 0)]
    has_seats = rng.random(n) < np.where(asks, 0.75, 0.1)
    typical = np.maximum(3.0, accounts.employees[account] * 0.08)
    seats = np.where(has_seats, np.clip(np.round(rng.lognormal(np.log(typical), 0.6)), 1, 5000), 0)
    interest = rng.standard_normal(n)

    c = Cohort(
        first + 1 + np.arange(n),
        created,
        source,
        title,
        budget,
        form,
        seats.astype(np.int64),
        account,
        rep,
        interest,
        np.zeros(n, bool),
        np.full((n, 4), NO_TIME),
        np.full(n, vocab.DISQUALIFIED),
        np.zeros(n, np.int64),
    )
    converted = rng.random(n) < conversion_probability(c, accounts, reps, tl)
    return _with_timeline(rng, c, converted)


def _with_timeline(rng: np.random.Generator, c: Cohort, converted: np.ndarray) -> Cohort:
    """Status changes: open -> working -> (qualified) -> converted / disqualified, or stalls."""
    n = len(c.created)
    worked = converted | (rng.random(n) < 0.85)
    disqualified = ~converted & np.where(worked, rng.random(n) < 0.6, rng.random(n) < 0.5)
    qualified = converted | (worked & (rng.random(n) < np.where(disqualified, 0.25, 0.15)))

    t = np.full((n, 4), NO_TIME)
    t[:, 0] = c.created
    t_work = office_event(rng, c.created, 0.1 + rng.gamma(1.5, 1.5, n))
    t[:, 1] = np.where(worked, t_work, NO_TIME)
    t_qual = office_event(rng, t_work, rng.gamma(2.0, 5.0, n))
    t[:, 2] = np.where(qualified, t_qual, NO_TIME)
    after = np.where(qualified, t_qual, t_work)
    t_conv = office_event(rng, after, rng.gamma(2.0, 4.0, n))
    t_disq = np.where(
        worked,
        office_event(rng, after, rng.gamma(2.0, np.where(qualified, 8.0, 10.0), n)),
        office_event(rng, c.created, 30.0 + rng.gamma(2.0, 15.0, n)),  # auto-closed, never worked
    )
    t[:, 3] = np.where(converted, t_conv, np.where(disqualified, t_disq, NO_TIME))
    final = np.where(converted, vocab.CONVERTED, vocab.DISQUALIFIED)
    stalled_until = c.created + ((10.0 + rng.exponential(40.0, n)) * DAY).astype(np.int64)
    engaged = np.where(t[:, 3] < NO_TIME, t[:, 3], stalled_until)
    return Cohort(
        c.number,
        c.created,
        c.source,
        c.title,
        c.budget,
        c.form,
        c.seats,
        c.account,
        c.rep,
        c.interest,
        converted,
        t,
        final,
        engaged,
    )
