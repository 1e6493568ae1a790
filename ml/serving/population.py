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
    """
    probability = np.asarray(probability, dtype=np.float64)
    n = len(probability)
    percentile = np.full(n, np.nan)
    grade = np.full(n, None, dtype=object)
    if grade_method != RANK:
        active = ~np.asarray(stale, bool)
        grade[active] = grades(probability[active], grade_cutoffs)
    if population.empty:
        return percentile, grade
    ordered = np.sort(population.probability)
    own = dict(zip(population.lead_ids.tolist(), population.probability.tolist(), strict=True))
    for i in range(n):
        if stale[i]:
            grade[i] = None
            continue
        p = probability[i]
        at_or_below = int(np.searchsorted(ordered, p, side="right"))
        size = len(ordered)
        if lead_ids[i] in own:  # replace the lead's own batch row by this score
            at_or_below -= int(own[lead_ids[i]] <= p)
            size -= 1
        at_or_below += 1
        size += 1
        percentile[i] = np.round(at_or_below / size * 100, 2)
        if grade_method == RANK:
            above = size - at_or_below
            bounds = np.round(np.cumsum(grade_shares) * size, 6)
            grade[i] = (
                "A"
                if above < bounds[0]
                else "B"
                if above < bounds[1]
                else ("C" if above < bounds[2] else "D")
            )
    return percentile, grade
