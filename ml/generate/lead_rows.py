"""Lead rows as the CRM delivers them: one full row per status change.

Personal fields (names, email, phone) are fake but plausible: names from a list,
emails at the account's domain, phones with the country's prefix.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ml.generate import columns as col
from ml.generate import mess, vocab
from ml.generate.entities import Accounts
from ml.generate.leads import Cohort
from ml.generate.timeline import DAY, Timeline
from ml.generate.writer import Rows


def lead_rows(
    c: Cohort,
    accounts: Accounts,
    tl: Timeline,
    rng: np.random.Generator,
    late_rate: float,
    invalid_rate: float,
    first_cohort: bool,
) -> tuple[Rows, dict[str, int]]:
    """One full lead row per status change that happened before the window ended.

    ``rng`` is the cohort's stream for row details (personal fields, mess), apart from
    the stream that drew the outcomes, so the signal does not depend on them.
    Returns the rows (with their delivery days) and the mess injected into them.
    """
    n = len(c.created)
    happened = c.status_time < tl.end_second
    li, slot = np.nonzero(happened)  # row-major: each lead's changes in time order
    when = c.status_time[li, slot]
    status = np.where(
        slot == 3,
        c.final_status[li],
        np.array([vocab.OPEN, vocab.WORKING, vocab.QUALIFIED, 0])[slot],
    )
    conv = status == vocab.CONVERTED

    first = vocab.FIRST_NAMES
    last = vocab.LAST_NAMES
    fi, la = rng.integers(0, len(first), n), rng.integers(0, len(last), n)
    first_l = pc.utf8_lower(col.pick(first, fi))
    last_l = pc.utf8_lower(col.pick(last, la))
    style = rng.integers(0, 3, n)
    local = pc.if_else(
        pa.array(style == 0),
        pc.binary_join_element_wise(first_l, last_l, "."),
        pc.if_else(
            pa.array(style == 1),
            pc.binary_join_element_wise(pc.utf8_slice_codeunits(first_l, 0, 1), last_l, ""),
            first_l,
        ),
    )
    email = pc.binary_join_element_wise(local, accounts.domain.take(pa.array(c.account)), "@")
    email = pc.if_else(pa.array(rng.random(n) < 0.03), pa.scalar(None, pa.string()), email)
    country = accounts.country[c.account]
    phone = pc.binary_join_element_wise(
        col.pick(vocab.COUNTRY_PHONE, country),
        col.ids("", rng.integers(200, 1000, n), 3),
        col.ids("", rng.integers(100, 1000, n), 3),
        col.ids("", rng.integers(0, 10_000, n), 4),
        " ",
    )
    has_phone = rng.random(n) >= 0.2
    has_employees = rng.random(n) >= 0.05
    take = pa.array(li)

    late = mess.late_days(rng, len(li), late_rate)
    delivery = when // DAY - tl.start_day + late
    delivered = delivery < tl.days  # defects go only into rows that arrive in the window
    null_id = mess.pick_rows(rng, delivered, invalid_rate, first_cohort)
    email_rows = email.take(take)
    has_email = email_rows.is_valid().to_numpy(zero_copy_only=False)
    bad_email = mess.pick_rows(rng, delivered & has_email & ~null_id, invalid_rate, first_cohort)
    table = pa.table(
        {
            "lead_id": col.ids("L", c.number[li], 8, valid=~null_id),
            "created_at": col.timestamps(c.created[li]),
            "updated_at": col.timestamps(when),
            "source": col.pick(vocab.SOURCES, c.source[li]),
            "status": col.pick(vocab.STATUSES, status),
            "email": mess.malformed(email_rows, bad_email),
            "first_name": col.pick(first, fi[li]),
            "last_name": col.pick(last, la[li]),
            "phone": pc.if_else(
                pa.array(has_phone[li]), phone.take(take), pa.scalar(None, pa.string())
            ),
            "company": accounts.name.take(pa.array(c.account[li])),
            "title": col.pick(vocab.TITLES, np.maximum(c.title[li], 0), valid=c.title[li] >= 0),
            "country": col.pick(vocab.COUNTRIES, country[li]),
            "industry": col.pick(vocab.INDUSTRIES, accounts.industry[c.account[li]]),
            "employees": col.integers(accounts.employees[c.account[li]], valid=has_employees[li]),
            "owner_rep_id": col.ids("R", c.rep[li] + 1, 4),
            "account_id": col.ids("ACC", c.account[li] + 1, 7, valid=conv),
            "converted_at": col.timestamps(when, valid=conv),
            "converted_opportunity_id": col.ids("OPP", c.number[li], 8, valid=conv),
            "attr_budget_confirmed": col.pick(
                vocab.BUDGET, np.minimum(c.budget[li], 1), valid=c.budget[li] < 2
            ),
            "attr_lead_form": col.pick(
                vocab.LEAD_FORMS, np.maximum(c.form[li], 0), valid=c.form[li] >= 0
            ),
            "attr_seats_requested": col.integers(c.seats[li], valid=c.seats[li] > 0),
        }
    )
    counts = {
        mess.NULL_LEAD_ID: int(null_id.sum()),
        mess.MALFORMED_EMAIL: int(bad_email.sum()),
        mess.LATE_ROWS: int(((late > 0) & delivered).sum()),
    }
    return Rows(table, delivery, when, li), counts
