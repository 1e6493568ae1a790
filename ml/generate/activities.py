"""Activities (emails, calls, meetings, demos, web visits) of a cohort's leads.

Engagement before conversion is driven by the same latent interest that drives
conversion, so activity counts, and meetings and demos above all, predict it.
Converted leads keep being worked while their opportunity is open.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ml.generate import columns as col
from ml.generate import vocab
from ml.generate.leads import Cohort
from ml.generate.opportunities import Opportunities
from ml.generate.timeline import DAY, Timeline, any_seconds, office_seconds, skip_weekend
from ml.generate.writer import Rows

PRE_ACTIVITIES = 8.5  # mean activities per lead before it converts or goes cold
OPEN_OPPORTUNITY_PER_DAY = 0.25
MAX_PER_LEAD = 999  # activity ids carry a 3-digit sequence number per lead
_SUBJECTS = tuple(s for t in range(len(vocab.ACTIVITY_TYPES)) for s in vocab.SUBJECTS[t])
_SUBJECT_START = np.cumsum([0] + [len(vocab.SUBJECTS[t]) for t in range(len(vocab.ACTIVITY_TYPES))])
# Median and spread (log-scale) of each type's duration in seconds; emails have none.
_DURATION = np.array([[1, 0], [360, 0.6], [2400, 0.3], [2700, 0.25], [120, 1.0]])


def _types(
    rng: np.random.Generator, n: int, p_meet_demo: np.ndarray, rest: np.ndarray
) -> np.ndarray:
    """Meeting or demo with probability ``p_meet_demo``, else email/call/web by ``rest``."""
    meet = rng.random(n) < p_meet_demo
    high = np.where(rng.random(n) < 0.6, vocab.MEETING, vocab.DEMO)
    low = np.array([vocab.EMAIL, vocab.CALL, vocab.WEB_VISIT])[rng.choice(3, size=n, p=rest)]
    return np.where(meet, high, low)


def _times(
    rng: np.random.Generator, kind: np.ndarray, begin: np.ndarray, span: np.ndarray
) -> np.ndarray:
    """Uniform in [begin, begin + span); reps work office hours, the web never sleeps."""
    n = len(kind)
    t = begin + (rng.random(n) * span).astype(np.int64)
    web = kind == vocab.WEB_VISIT
    day = np.where(web, t // DAY, skip_weekend(rng, t // DAY))
    t = day * DAY + np.where(web, any_seconds(rng, n), office_seconds(rng, n))
    return np.maximum(t, begin + 60)


def activity_rows(rng: np.random.Generator, c: Cohort, o: Opportunities, tl: Timeline) -> Rows:
    """All activities of the cohort that happen inside the window, delivered the same day."""
    n = len(c.created)
    pre = np.minimum(rng.poisson(PRE_ACTIVITIES * np.exp(0.5 * c.interest - 0.125)), MAX_PER_LEAD)
    span_days = (o.time[:, 4] - o.time[:, 0]) / DAY
    rate = OPEN_OPPORTUNITY_PER_DAY * np.where(o.won, 1.3, 1.0)
    during = np.minimum(rng.poisson(rate * span_days), MAX_PER_LEAD - pre[o.lead])

    lead = np.repeat(np.arange(n), pre)
    seq = np.arange(len(lead)) - np.repeat(np.cumsum(pre) - pre, pre)
    p_meet = 1.0 / (1.0 + np.exp(2.0 - 0.7 * c.interest[lead]))
    kind = _types(rng, len(lead), p_meet, np.array([0.35, 0.25, 0.40]))
    when = _times(rng, kind, c.created[lead], np.maximum(c.engaged_until - c.created, 3600)[lead])

    opp = np.repeat(np.arange(len(o.lead)), during)
    opp_seq = pre[o.lead][opp] + np.arange(len(opp)) - np.repeat(np.cumsum(during) - during, during)
    opp_kind = _types(
        rng, len(opp), np.full(len(opp), 0.37), np.array([0.30 / 0.63, 0.25 / 0.63, 0.08 / 0.63])
    )
    opp_when = _times(rng, opp_kind, o.time[opp, 0], o.time[opp, 4] - o.time[opp, 0])

    in_opp = np.concatenate([np.zeros(len(lead), bool), np.ones(len(opp), bool)])
    account = np.concatenate([np.zeros(len(lead), np.int64), o.account[opp]])
    lead = np.concatenate([lead, o.lead[opp]])
    seq = np.concatenate([seq, opp_seq])
    kind = np.concatenate([kind, opp_kind])
    when = np.concatenate([when, opp_when])
    keep = when < tl.end_second
    lead, seq, kind, when, in_opp, account = (
        a[keep] for a in (lead, seq, kind, when, in_opp, account)
    )

    m = len(lead)
    web = kind == vocab.WEB_VISIT
    channel = np.array([0, 1, 2, 2, 4])[kind]
    channel = np.where((kind == vocab.MEETING) & (rng.random(m) < 0.5), 3, channel)
    seconds = np.maximum(
        5, np.round(_DURATION[kind, 0] * np.exp(_DURATION[kind, 1] * rng.standard_normal(m)))
    )
    subject = _SUBJECT_START[kind] + (rng.random(m) * np.diff(_SUBJECT_START)[kind]).astype(
        np.int64
    )
    table = pa.table(
        {
            "activity_id": col.ids("A", c.number[lead] * 1000 + seq, 11),
            "occurred_at": col.timestamps(when),
            "activity_type": col.pick(vocab.ACTIVITY_TYPES, kind),
            "lead_id": col.ids("L", c.number[lead], 8),
            "opportunity_id": col.ids("OPP", c.number[lead], 8, valid=in_opp),
            "account_id": col.ids("ACC", account + 1, 7, valid=in_opp),
            "rep_id": col.ids("R", c.rep[lead] + 1, 4, valid=~web),
            "channel": col.pick(vocab.CHANNELS, channel),
            "duration_seconds": col.integers(seconds, valid=kind != vocab.EMAIL),
            "subject": col.pick(_SUBJECTS, subject),
        }
    )
    return Rows(table, when // DAY - tl.start_day, when, lead)
