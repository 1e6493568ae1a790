"""Honest holdout figures: each lead judged once at fixed points of its life.

Training rows are snapshots of open leads, and a long-lived lead has many. Judged over
every snapshot, a model looks better than it is: the snapshots of old leads are nearly
all negatives that age alone separates (on a real funnel export, all snapshots gave AUC
0.895 where one row per lead gave 0.697). So the figures a user sees are:

- **per life point**: for each age in ``ages`` (days since creation: 0, 7, 30 by
  default, dbt's var ``lead_life_point_days``), the leads of the holdout that were open
  at that age, each once;
- **headline**: the mean AUC over those points, the figure the gate compares and the
  registry shows;
- **scored population**: every holdout snapshot younger than the label window, which
  is what a night scores (older open leads are stale, and never counted as easy
  negatives).

Pure: frames and arrays in, numbers out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.metrics import ClassificationMetrics, classification_metrics

# Fewer leads than this at a point (or only one class): no figure for that point.
MIN_LEADS_PER_POINT = 20


@dataclass(frozen=True)
class PerLeadEvaluation:
    """Holdout metrics once per lead at each life point, and over the scored population."""

    points: dict[int, ClassificationMetrics]
    scored_population: ClassificationMetrics | None
    # when the rows hold each lead once (an export of outcomes), all of them together
    one_row_per_lead: ClassificationMetrics | None = None

    @property
    def headline_auc(self) -> float:
        """Over one row per lead when the rows are that; else the mean AUC over the life
        points that have one; NaN when none has."""
        if self.one_row_per_lead is not None:
            return self.one_row_per_lead.roc_auc
        aucs = [m.roc_auc for m in self.points.values() if not np.isnan(m.roc_auc)]
        return float(np.mean(aucs)) if aucs else float("nan")

    def as_dict(self) -> dict[str, float]:
        """Flat metric names for MLflow and version tags."""
        out = {"per_lead_auc": self.headline_auc}
        for age, metrics in self.points.items():
            out[f"auc_at_age_{age}"] = metrics.roc_auc
            out[f"leads_at_age_{age}"] = float(metrics.rows)
        if self.scored_population is not None:
            out["scored_population_auc"] = self.scored_population.roc_auc
            out["scored_population_ece"] = self.scored_population.expected_calibration_error
        return out


def life_point_rows(ages_days: pd.Series, lead_ids: pd.Series, age: int) -> np.ndarray:
    """Positions of the rows that show each lead at exactly ``age`` days, one per lead."""
    positions = np.flatnonzero(ages_days.to_numpy() == age)
    keep = ~lead_ids.iloc[positions].duplicated().to_numpy()
    return positions[keep]


def evaluate_per_lead(
    rows: pd.DataFrame,
    labels: np.ndarray,
    probabilities: np.ndarray,
    ages: Sequence[int],
    label_window_days: int,
) -> PerLeadEvaluation:
    """Judge ``probabilities`` of the snapshot ``rows`` (with ``lead_id`` and
    ``lead_age_days``) once per lead at each age, and over the scored population.

    Raises:
        ValueError: ``rows``, ``labels`` and ``probabilities`` differ in length.
    """
    if not len(rows) == len(labels) == len(probabilities):
        raise ValueError(
            f"rows, labels and probabilities differ in length: "
            f"{len(rows)}, {len(labels)}, {len(probabilities)}"
        )
    labels = np.asarray(labels, dtype=float)
    probabilities = np.asarray(probabilities, dtype=float)
    ages_days = pd.to_numeric(rows["lead_age_days"], errors="coerce").reset_index(drop=True)
    lead_ids = rows["lead_id"].reset_index(drop=True)
    points: dict[int, ClassificationMetrics] = {}
    for age in ages:
        at = life_point_rows(ages_days, lead_ids, age)
        if len(at) >= MIN_LEADS_PER_POINT and 0 < labels[at].sum() < len(at):
            points[age] = classification_metrics(labels[at], probabilities[at])
    young = np.flatnonzero(ages_days.to_numpy() < label_window_days)
    scored = (
        classification_metrics(labels[young], probabilities[young])
        if len(young) and 0 < labels[young].sum() < len(young)
        else None
    )
    whole = None
    if lead_ids.is_unique and len(labels) and 0 < labels.sum() < len(labels):
        whole = classification_metrics(labels, probabilities)
    return PerLeadEvaluation(points, scored, whole)


def per_lead_auc(
    rows: pd.DataFrame,
    labels: np.ndarray,
    probabilities: np.ndarray,
    ages: Sequence[int],
    label_window_days: int,
) -> float:
    """The headline figure alone: mean AUC over the life points (NaN if none has one)."""
    return evaluate_per_lead(rows, labels, probabilities, ages, label_window_days).headline_auc


def life_point_ages() -> tuple[int, ...]:
    """The ages at which ``lead_features`` holds every lead (dbt's var
    ``lead_life_point_days``, the one place they are set)."""
    from ml.quality.specs import dbt_vars

    return tuple(int(age) for age in dbt_vars()["lead_life_point_days"])
