"""One cohort of leads, or part of one, from its random streams to the rows it writes.

A cohort's leads, opportunities, activities and rows each come from their own
random stream, derived from the seed and the cohort number, so a cohort can be
redrawn on its own. A drifted run draws the cohort that spans ``drift_from`` twice
and keeps part of each (see ``ml.generate.drift``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ml.generate.activities import activity_rows
from ml.generate.config import GeneratorConfig
from ml.generate.drift import Drift, count_mess, first_leads
from ml.generate.entities import Accounts, Reps
from ml.generate.lead_rows import lead_rows
from ml.generate.leads import draw_cohort
from ml.generate.opportunities import draw_opportunities
from ml.generate.opportunity_rows import opportunity_rows
from ml.generate.timeline import Timeline
from ml.generate.truth import truth_table
from ml.generate.writer import Rows

# First element of every random stream's key: one stream per purpose, one per cohort.
TIMELINE, ACCOUNTS, REPS, REDELIVERY, COHORT = range(5)
OUTCOMES, OPPORTUNITIES, ACTIVITIES, ROWS = range(4)


def stream(seed: int, *key: int) -> np.random.Generator:
    """The random stream of one purpose: the key says which (see the constants above)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


@dataclass(frozen=True)
class CohortPart:
    """Everything one cohort (or part of one) writes, and the mess injected into it."""

    rows: dict[str, Rows]  # per table
    truth: pa.Table
    mess: dict[str, int]

    def first_leads(self, m: int, tl: Timeline) -> CohortPart:
        """Only what belongs to the first ``m`` leads; the mess counted again on that."""
        rows = {name: first_leads(r, m) for name, r in self.rows.items()}
        counts: dict[str, int] = {}
        for name, r in rows.items():
            for kind, value in count_mess(name, r, tl).items():
                counts[kind] = counts.get(kind, 0) + value
        return CohortPart(rows, self.truth.slice(0, m), counts)


def draw_part(
    config: GeneratorConfig,
    k: int,
    first: int,
    n: int,
    world: tuple[Timeline, Accounts, Reps],
    drift: Drift | None,
) -> CohortPart:
    """Draw leads ``first`` .. ``first + n - 1`` of cohort ``k`` and build their rows."""
    seed = config.seed
    tl, accounts, reps = world
    cohort = draw_cohort(stream(seed, COHORT, k, OUTCOMES), tl, accounts, reps, first, n, drift)
    opps = draw_opportunities(stream(seed, COHORT, k, OPPORTUNITIES), cohort, accounts, reps, tl)
    rows_rng = stream(seed, COHORT, k, ROWS)
    lead_out, lead_mess = lead_rows(
        cohort, accounts, tl, rows_rng, config.late_rate, config.invalid_lead_rate, k == 0
    )
    opp_out, history_out, opp_mess = opportunity_rows(
        opps, cohort, tl, rows_rng, config.late_rate, config.invalid_opportunity_rate, k == 0
    )
    activities = activity_rows(stream(seed, COHORT, k, ACTIVITIES), cohort, opps, tl)
    counts = dict(lead_mess)
    for kind, value in opp_mess.items():
        counts[kind] = counts.get(kind, 0) + value
    rows = {
        "leads": lead_out,
        "opportunities": opp_out,
        "opportunity_stage_history": history_out,
        "activities": activities,
    }
    return CohortPart(rows, truth_table(cohort, accounts, reps, tl), counts)
