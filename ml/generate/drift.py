"""A drifted landing zone: from one day on, leads come from a different market.

From ``drift_from`` on, marketing moves budget to paid search and partners and sales
goes after bigger companies: the source mix shifts and leads attach to bigger
accounts (so employees, company size band, seats and deal sizes shift too). How a
lead converts given what it is does not change (covariate shift), so a model trained
before the drift still ranks well but sees inputs it was not trained on.

Every file of a day before ``drift_from`` stays byte-identical to a run without
drift. The cohort that spans ``drift_from`` is drawn twice: once as a run without
drift would (its rows are kept for the leads created before ``drift_from``), and once
for the leads from ``drift_from`` on, drifted. Rows delivered before ``drift_from``
can only belong to leads created before it, so those files are untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ml.generate import mess, vocab
from ml.generate.entities import Accounts
from ml.generate.timeline import DAY, Timeline
from ml.generate.writer import Rows

# After the drift: paid search and partners up, web, referrals and events down.
# Order of vocab.SOURCES: web, referral, event, partner, outbound, paid_search.
DRIFTED_SOURCE_WEIGHTS = np.array([0.12, 0.05, 0.05, 0.28, 0.10, 0.40])
# A drifted lead goes to the biggest of this many randomly picked accounts.
ACCOUNT_CANDIDATES = 3


@dataclass(frozen=True)
class Drift:
    """How far leads drift: 0 = not at all, 1 = fully the shifted market."""

    strength: float = 1.0

    def source_weights(self) -> np.ndarray:
        """Source sampling weights: the usual mix blended with the shifted one."""
        usual = vocab.SOURCE_WEIGHTS / vocab.SOURCE_WEIGHTS.sum()
        return (1.0 - self.strength) * usual + self.strength * DRIFTED_SOURCE_WEIGHTS

    def pick_accounts(
        self, rng: np.random.Generator, accounts: Accounts, created: np.ndarray
    ) -> np.ndarray:
        """An existing account per lead; with probability ``strength`` the biggest of a few.

        Takes the leads' creation times (epoch seconds); returns indexes into ``accounts``.
        """
        n = len(created)
        available = np.maximum(accounts.available(created), 1)
        candidates = (rng.random((n, ACCOUNT_CANDIDATES)) * available[:, None]).astype(np.int64)
        biggest = candidates[np.arange(n), np.argmax(accounts.employees[candidates], axis=1)]
        return np.where(rng.random(n) < self.strength, biggest, candidates[:, 0])


def leads_before(tl: Timeline, epoch_day: int) -> int:
    """Number of leads created before ``epoch_day`` (leads are numbered by creation)."""
    return int(tl.lead_counts[: max(epoch_day - tl.start_day, 0)].sum())


def first_leads(rows: Rows, m: int) -> Rows:
    """The rows that belong to the cohort's first ``m`` leads, in their original order.

    Raises:
        ValueError: the rows do not say which lead they belong to.
    """
    if rows.lead is None:
        raise ValueError("rows without a lead index cannot be split by lead")
    keep = np.flatnonzero(rows.lead < m)
    return Rows(
        rows.table.take(pa.array(keep)), rows.delivery[keep], rows.order[keep], rows.lead[keep]
    )


def count_mess(table: str, rows: Rows, tl: Timeline) -> dict[str, int]:
    """Count the injected defects that the rows of ``table`` carry, read back from the rows.

    The row builders count defects as they inject them; after some rows are dropped
    those counts no longer hold, so they are read back from the values (each defect
    is recognisable: a null lead id, `` at `` in an email, a negative amount, ...).
    Only rows delivered inside the window count, as in the builders.
    """
    delivered = rows.delivery < tl.days
    late = rows.delivery > rows.order // DAY - tl.start_day
    counts = {mess.LATE_ROWS: int((late & delivered).sum())} if table != "activities" else {}
    t = rows.table

    def where(mask: pa.Array) -> int:
        return int((mask.to_numpy(zero_copy_only=False) & delivered).sum())

    if table == "leads":
        counts[mess.NULL_LEAD_ID] = where(pc.is_null(t["lead_id"]).combine_chunks())
        malformed = pc.fill_null(pc.match_substring(t["email"], " at "), False)
        counts[mess.MALFORMED_EMAIL] = where(malformed.combine_chunks())
    elif table == "opportunities":
        amount = pc.less(t["amount"], pa.scalar(0, t.schema.field("amount").type))
        counts[mess.NEGATIVE_AMOUNT] = where(amount.combine_chunks())
        unknown = pc.equal(t["stage"], mess.UNKNOWN_STAGE_VALUE)
        counts[mess.UNKNOWN_STAGE] = where(unknown.combine_chunks())
        created_day = pc.utf8_slice_codeunits(t["created_at"], 0, 10)  # ISO text sorts as dates
        early = pc.less(pc.cast(t["close_date"], pa.string()), created_day)
        counts[mess.CLOSE_BEFORE_CREATED] = where(early.combine_chunks())
    return counts
