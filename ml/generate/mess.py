"""The mess real CRM exports have: late rows, invalid rows and a repeated delivery.

Counts are small and deterministic (drawn from the cohort's own "mess" random
stream), and every injected defect is counted so the summary can report it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Names of the counters in ``GenerationSummary.mess``.
LATE_ROWS = "late_rows"
REDELIVERED_FILES = "redelivered_files"
NULL_LEAD_ID = "lead_null_id"
MALFORMED_EMAIL = "lead_malformed_email"
NEGATIVE_AMOUNT = "opportunity_negative_amount"
UNKNOWN_STAGE = "opportunity_unknown_stage"
CLOSE_BEFORE_CREATED = "opportunity_close_date_before_created"
MESS_KINDS = (
    LATE_ROWS,
    REDELIVERED_FILES,
    NULL_LEAD_ID,
    MALFORMED_EMAIL,
    NEGATIVE_AMOUNT,
    UNKNOWN_STAGE,
    CLOSE_BEFORE_CREATED,
)
UNKNOWN_STAGE_VALUE = "Closed Won!!"


def late_days(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """Days each row's delivery is delayed: 0 for most, 1-3 for a share ``rate``."""
    late = rng.random(n) < rate
    return np.where(late, rng.integers(1, 4, n), 0)


def pick_rows(
    rng: np.random.Generator, candidates: np.ndarray, rate: float, at_least_one: bool
) -> np.ndarray:
    """A boolean mask choosing about ``rate`` of the ``candidates`` (a boolean mask).

    ``at_least_one`` guarantees one pick when there is a candidate, so that small
    landing zones still show every kind of defect.
    """
    where = np.flatnonzero(candidates)
    k = int(rng.binomial(len(where), rate)) if len(where) else 0
    if at_least_one and len(where):
        k = max(k, 1)
    chosen = np.zeros(len(candidates), dtype=bool)
    chosen[rng.choice(where, size=k, replace=False)] = True
    return chosen


def malformed(emails: pa.Array, chosen: np.ndarray) -> pa.Array:
    """Emails with the ``@`` typed as `` at `` on the ``chosen`` rows."""
    broken = pc.replace_substring(emails, "@", " at ")
    return pc.if_else(pa.array(chosen), broken, emails)


def redeliver(out: Path, table: str, original: dt.date, again: dt.date) -> Path:
    """Copy ``<table>/<original>/<table>.csv`` byte for byte into the ``again`` folder.

    Returns the path of the copy, ``<table>/<again>/<table>__redelivery_<original>.csv``.
    """
    source = out / table / original.isoformat() / f"{table}.csv"
    target = out / table / again.isoformat() / f"{table}__redelivery_{original.isoformat()}.csv"
    shutil.copyfile(source, target)
    return target
