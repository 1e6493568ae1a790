"""Opportunity and stage-history rows: one of each per stage change in the window."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ml.generate import columns as col
from ml.generate import mess, vocab
from ml.generate.leads import Cohort
from ml.generate.opportunities import Opportunities
from ml.generate.timeline import DAY, Timeline
from ml.generate.writer import Rows


def opportunity_rows(
    o: Opportunities,
    c: Cohort,
    tl: Timeline,
    rng: np.random.Generator,
    late_rate: float,
    invalid_rate: float,
    first_cohort: bool,
) -> tuple[Rows, Rows, dict[str, int]]:
    """Rows for ``opportunities`` and ``opportunity_stage_history``, and the mess injected.

    ``rng`` is the cohort's row stream (mess only). Invalid values (negative amount,
    unknown stage, close date before creation) go into opportunity rows only; the
    stage history stays clean.
    """
    oi, slot = np.nonzero(o.time < tl.end_second)  # row-major: each opportunity's changes in order
    when = o.time[oi, slot]
    stage = o.stage[oi, slot]
    cents = o.cents[oi, slot]
    close = o.close_day[oi, slot]
    created = o.time[oi, 0]
    closed = slot == 4
    opp_id = col.ids("OPP", o.number[oi], 8)

    history = pa.table(
        {
            "opportunity_id": opp_id,
            "stage": col.pick(vocab.STAGES, stage),
            "changed_at": col.timestamps(when),
            "amount": col.money(cents),
            "close_date": col.dates(close),
        }
    )
    history_late = mess.late_days(rng, len(oi), late_rate)
    history_delivery = when // DAY - tl.start_day + history_late

    late = mess.late_days(rng, len(oi), late_rate)
    delivery = when // DAY - tl.start_day + late
    rows = delivery < tl.days  # defects go only into rows that arrive in the window
    negative = mess.pick_rows(rng, rows, invalid_rate, first_cohort)
    unknown = mess.pick_rows(rng, rows & ~negative, invalid_rate, first_cohort)
    early = mess.pick_rows(rng, rows & ~negative & ~unknown, invalid_rate, first_cohort)
    stage_text = col.pick(
        vocab.STAGES + (mess.UNKNOWN_STAGE_VALUE,), np.where(unknown, len(vocab.STAGES), stage)
    )
    table = pa.table(
        {
            "opportunity_id": opp_id,
            "account_id": col.ids("ACC", o.account[oi] + 1, 7),
            "created_at": col.timestamps(created),
            "updated_at": col.timestamps(when),
            "stage": stage_text,
            "amount": col.money(np.where(negative, -cents, cents)),
            "close_date": col.dates(
                np.where(early, created // DAY - rng.integers(1, 30, len(oi)), close)
            ),
            "owner_rep_id": col.ids("R", o.rep[oi] + 1, 4),
            "lead_id": col.ids("L", c.number[o.lead[oi]], 8),
            "product": col.pick(vocab.PRODUCTS, o.product[oi]),
            "currency": col.pick(("USD",), np.zeros(len(oi), dtype=np.int64)),
            "is_closed": pa.array(closed),
            "is_won": pa.array(closed & o.won[oi]),
            "closed_at": col.timestamps(when, valid=closed),
        }
    )
    counts = {
        mess.NEGATIVE_AMOUNT: int(negative.sum()),
        mess.UNKNOWN_STAGE: int(unknown.sum()),
        mess.CLOSE_BEFORE_CREATED: int(early.sum()),
        mess.LATE_ROWS: int(((late > 0) & rows).sum())
        + int(((history_late > 0) & (history_delivery < tl.days)).sum()),
    }
    lead = o.lead[oi]
    return (
        Rows(table, delivery, when, lead),
        Rows(history, history_delivery, when, lead),
        counts,
    )
