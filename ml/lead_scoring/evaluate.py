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

The promotion gate's comparison of a challenger with the champion
(:func:`promotion_decision`) judges both on these figures.

Pure: frames and arrays (and a loaded model) in, numbers and a decision out.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ml.lead_scoring.config import LeadScoringConfig
from ml.lead_scoring.features import model_inputs
from ml.metrics import ClassificationMetrics, calibration_noise_floor, classification_metrics
from ml.registry.gate import GateDecision, decide_promotion

log = logging.getLogger(__name__)

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


def promotion_decision(
    champion: str | None,
    champion_model: Any,
    seen_until: str | None,
    *,
    challenger_p: np.ndarray,
    challenger_ece: float,
    holdout_rows: pd.DataFrame,
    holdout_y: np.ndarray,
    config: LeadScoringConfig,
) -> GateDecision:
    """The gate's verdict on a challenger whose holdout probabilities are ``challenger_p``.

    Compares it with the champion (``champion_model``, version ``champion``; None without
    one) on the holdout leads created at or after ``seen_until`` (the champion's
    ``holdout_starts_at``: leads it never trained on), or on all of them if too few, each
    lead judged once per life point, with the calibration limit and the minimum AUC as
    checks. A champion that cannot score the holdout (it needs columns the mart no longer
    has) counts as AUC minus infinity.
    """
    champion_auc = None
    ages = life_point_ages()
    mask = np.ones(len(holdout_y), dtype=bool)
    if champion_model is not None:
        if seen_until:
            unseen = (
                pd.to_datetime(holdout_rows["created_at"]) >= pd.Timestamp(seen_until)
            ).to_numpy()
            if (
                unseen.sum() >= config.min_comparison_rows
                and 0 < holdout_y[unseen].sum() < unseen.sum()
            ):
                mask = unseen
        try:
            champion_p = champion_model.predict_proba(
                model_inputs(holdout_rows[mask], champion_model.spec)
            )
            champion_auc = per_lead_auc(
                holdout_rows[mask], holdout_y[mask], champion_p, ages, config.label_window_days
            )
        except KeyError as exc:  # the champion needs columns the mart no longer has
            champion_auc = float("-inf")
            log.warning("champion v%s cannot score tonight's data: %s", champion, exc)
    challenger_auc = per_lead_auc(
        holdout_rows[mask], holdout_y[mask], challenger_p[mask], ages, config.label_window_days
    )
    ece = challenger_ece
    # Beyond the configured limit only when chance alone would not explain it on this
    # many holdout rows (a calibrated model's ECE on 600 rows is often above 0.05).
    ece_limit = max(
        config.max_calibration_error, calibration_noise_floor(challenger_p, seed=config.seed)
    )
    return decide_promotion(
        metric="per-lead holdout AUC"
        + ("" if holdout_rows["lead_id"].is_unique else f" (ages {', '.join(map(str, ages))} days)")
        + f" of {holdout_rows[mask]['lead_id'].nunique():,} leads",
        challenger=challenger_auc,
        champion=champion_auc,
        higher_is_better=True,
        margin=config.promotion_margin,
        checks={
            "calibration": (
                ece <= ece_limit,
                f"expected calibration error {ece:.4f} (limit {ece_limit:.4f}: "
                f"{config.max_calibration_error}, or what chance gives a calibrated model "
                f"on {len(challenger_p):,} rows)",
            ),
            "minimum AUC": (
                challenger_auc >= config.min_auc,
                f"per-lead holdout AUC {challenger_auc:.4f} (minimum {config.min_auc})",
            ),
        },
    )
