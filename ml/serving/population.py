"""Percentile and grade of an online score against a night's population of scores.

The batch ranks each lead among the night's active leads (:func:`ml.lead_scoring.score.
lead_scores_frame`): ``percentile`` is the share of active leads at or below its
probability, and a rank grade counts the leads strictly above it. An online lead is
placed in the same population, in place of its own batch row if it has one, so a lead
scored online with the probability the batch gave it gets the batch's percentile and
grade exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ml.lead_scoring.score import RANK, grades


@dataclass(frozen=True)
class Population:
    """A night's active (not stale) scores, by lead."""

    lead_ids: np.ndarray
    probability: np.ndarray  # same order as lead_ids

    @property
    def empty(self) -> bool:
        return not len(self.probability)

    @cached_property
    def ordered(self) -> np.ndarray:
        """The probabilities sorted, once per population (not per request)."""
        return np.sort(np.asarray(self.probability, dtype=np.float64))

    @cached_property
    def own(self) -> dict[object, float]:
        """Each lead's own probability in the night, once per population."""
        return dict(zip(self.lead_ids.tolist(), self.probability.tolist(), strict=True))


def place(
    probability: np.ndarray,
    lead_ids: np.ndarray,
    stale: np.ndarray,
    population: Population,
    *,
    grade_method: str,
    grade_shares: tuple[float, float, float],
    grade_cutoffs: tuple[float, float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """(percentile 0-100 rounded to 2 places, grade A-D) per online lead; both null for a
    stale lead, and both null by rank when the population is empty (no night scored yet).

    All leads at once: the same arithmetic per lead as the batch's, on arrays.
    """
    probability = np.asarray(probability, dtype=np.float64)
    stale = np.asarray(stale, dtype=bool)
    n = len(probability)
    percentile = np.full(n, np.nan)
    grade = np.full(n, None, dtype=object)
    if grade_method != RANK:
        active = ~stale
        grade[active] = grades(probability[active], grade_cutoffs)
    if population.empty:
        return percentile, grade
    at_or_below = np.searchsorted(population.ordered, probability, side="right").astype(np.int64)
    size = np.full(n, len(population.ordered), dtype=np.int64)
    own = population.own
    in_night = np.array([lead_id in own for lead_id in lead_ids.tolist()], dtype=bool)
    own_probability = np.array([own.get(lead_id, np.nan) for lead_id in lead_ids.tolist()])
    # replace the lead's own batch row by this score
    at_or_below -= (in_night & (own_probability <= probability)).astype(np.int64)
    size -= in_night.astype(np.int64)
    at_or_below += 1
    size += 1
    percentile = np.where(stale, np.nan, np.round(at_or_below / size * 100, 2))
    if grade_method == RANK:
        above = size - at_or_below
        bounds = np.round(np.cumsum(grade_shares)[None, :] * size[:, None], 6)
        ranked = np.select(
            [above < bounds[:, 0], above < bounds[:, 1], above < bounds[:, 2]],
            np.array(["A", "B", "C"], dtype=object),
            default="D",
        )
        grade = np.asarray(ranked, dtype=object)
        grade[stale] = None
    else:
        grade[stale] = None
    return percentile, grade
