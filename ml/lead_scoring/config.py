"""What lead scoring is allowed to do: the label, the data it needs, the promotion gate.

Defaults follow the commercial anchors: Salesforce Einstein's minimums (1,000 leads,
120 converted) and Dynamics 365's time-ordered 20% holdout. Every field is logged to
MLflow as a parameter of the training run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ml.config_file import check_split_fractions, flat_params
from ml.modelling.params import LogisticParams, XGBoostParams

if TYPE_CHECKING:
    from ml.settings import Settings


@dataclass(frozen=True)
class LeadScoringConfig:
    """Label, sufficiency, split, promotion and grading rules for lead scoring."""

    # False switches lead scoring (and its drift monitoring) off: the DAG skips it.
    enabled: bool = True
    # Label: converted within this many days of the lead's creation.
    label_window_days: int = 90
    # Data sufficiency (Einstein): below either, no model is promoted.
    min_mature_leads: int = 1000
    min_converted_leads: int = 120
    # Holdout: the most recent share of mature leads by creation time (Dynamics: 20%).
    holdout_fraction: float = 0.2
    # The most recent share of the training leads fits the Platt calibration.
    calibration_fraction: float = 0.15
    # Training rows are lead snapshots; above this many, a seeded sample of leads is used.
    max_training_rows: int = 3_000_000
    # Promotion gate: the challenger's holdout AUC must exceed the champion's, on the
    # same rows, by this much (negative = tolerance, e.g. -0.01), and its expected
    # calibration error must stay under the limit.
    promotion_margin: float = 0.001
    max_calibration_error: float = 0.05
    # A first champion must at least beat this AUC.
    min_auc: float = 0.6
    # Fewer holdout rows than this unseen by the champion: compare on the whole holdout.
    min_comparison_rows: int = 500
    # Retrain when the champion is older than this (Einstein: 10 days).
    retrain_every_days: int = 7
    # An open lead with no activity for more than this many days (or, with none at all,
    # older than this) is stale: still scored, but kept out of percentiles and grades.
    stale_after_days: int = 30
    # How active leads are graded: "rank" (A = the top grade_shares[0] of tonight's
    # active leads by probability, B the next grade_shares[1], C the next
    # grade_shares[2], D the rest) or "probability" (fixed bands, grade_cutoffs).
    grade_method: str = "rank"
    grade_shares: tuple[float, float, float] = (0.1, 0.2, 0.3)
    # Grades on the calibrated probability: A >= 0.5, B >= 0.3, C >= 0.15, else D.
    grade_cutoffs: tuple[float, float, float] = (0.5, 0.3, 0.15)
    # Feature columns no model may use, besides those a mapping marks as leakage.
    leakage_columns: tuple[str, ...] = ()
    # The fallback when no champion exists: smoothed conversion rate per lead source,
    # shrunk to the overall rate with this many pseudo-leads; the overall rate itself
    # defaults to this when no lead has a mature label yet.
    prior_pseudo_leads: int = 50
    prior_default_rate: float = 0.1
    top_factors: int = 3
    seed: int = 42
    logistic: LogisticParams = field(default_factory=LogisticParams)
    xgboost: XGBoostParams = field(default_factory=XGBoostParams)

    def __post_init__(self) -> None:
        a, b, c = self.grade_cutoffs
        if not 1 >= a > b > c > 0:
            raise ValueError(
                "grade_cutoffs must be decreasing probabilities in (0, 1], "
                f"got {self.grade_cutoffs}"
            )
        if self.grade_method not in ("rank", "probability"):
            raise ValueError(f"grade_method must be rank or probability, got {self.grade_method!r}")
        if not (all(s > 0 for s in self.grade_shares) and sum(self.grade_shares) < 1):
            raise ValueError(
                "grade_shares must be three positive shares (A, B, C) adding up to less "
                f"than 1, got {self.grade_shares}"
            )
        if self.stale_after_days < 1:
            raise ValueError(f"stale_after_days must be at least 1, got {self.stale_after_days}")
        check_split_fractions(self.holdout_fraction, self.calibration_fraction)
        if self.label_window_days < 1:
            raise ValueError(f"label_window_days must be at least 1, got {self.label_window_days}")

    def as_params(self) -> dict[str, object]:
        """Flat ``section.name -> value`` pairs for ``mlflow.log_params``."""
        return flat_params(self)


SECTION = "lead_scoring"
# What a step says when the section switches lead scoring off.
SWITCHED_OFF = "switched off (lead_scoring.enabled is false)"


def lead_scoring_config(settings: Settings) -> LeadScoringConfig:
    """The ``lead_scoring`` section of this install's salespipe.yml, defaults filled in.

    Raises:
        ml.config_file.ConfigError: the file is invalid.
    """
    return settings.section(SECTION, LeadScoringConfig)
