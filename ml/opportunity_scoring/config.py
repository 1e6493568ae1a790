"""What opportunity scoring is allowed to do: the data it needs, the split, the gate.

Defaults follow the commercial anchors: Salesforce Einstein Opportunity Scoring needs
200 won and 200 lost deals before it scores with a model, and Dynamics 365 judges on a
time-ordered 20% holdout. Every field is logged to MLflow as a training parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ml.config_file import check_split_fractions, flat_params
from ml.modelling.params import LogisticParams, XGBoostParams

if TYPE_CHECKING:
    from ml.settings import Settings


def _small_xgboost() -> XGBoostParams:
    # a deal model sees thousands of rows, not millions: small trees keep the night short
    return XGBoostParams(n_estimators=150, max_depth=3, min_child_weight=10.0)


@dataclass(frozen=True)
class OpportunityScoringConfig:
    """Sufficiency, maturity, split, promotion and output rules for deal scoring."""

    # False switches deal scoring (and its monitoring) off: the DAG skips it.
    enabled: bool = True
    # Einstein's minimum: below either, scores fall back to stage win rates.
    min_won_deals: int = 200
    min_lost_deals: int = 200
    # Label maturity: only deals created at least this many days before the business date
    # train or judge, so the holdout is not only the deals that closed fast.
    maturity_days: int = 120
    holdout_fraction: float = 0.2
    calibration_fraction: float = 0.15
    # Promotion gate: the challenger's holdout AUC must beat the champion's on the same
    # rows by this margin, beat the stage win rates, and stay calibrated (within
    # max_calibration_error, or no worse than the stage win rates on the same rows).
    promotion_margin: float = 0.001
    max_calibration_error: float = 0.08
    min_auc: float = 0.55
    retrain_every_days: int = 7
    # The stage win rates (stage_win_rates.py): each stage's rate is shrunk to the overall
    # rate, each band of time in stage to its stage's and each amount band to its time
    # band's, with this many pseudo-deals of the average deal's weight; with no closed
    # deal at all the overall rate is this default.
    pseudo_deals: int = 20
    default_win_rate: float = 0.25
    top_factors: int = 3
    seed: int = 42
    logistic: LogisticParams = field(default_factory=LogisticParams)
    xgboost: XGBoostParams = field(default_factory=_small_xgboost)

    def __post_init__(self) -> None:
        if self.min_won_deals < 1 or self.min_lost_deals < 1:
            raise ValueError(
                "min_won_deals and min_lost_deals must be at least 1, got "
                f"{self.min_won_deals} and {self.min_lost_deals}"
            )
        check_split_fractions(self.holdout_fraction, self.calibration_fraction)
        if self.maturity_days < 0:
            raise ValueError(f"maturity_days must be 0 or more, got {self.maturity_days}")

    def as_params(self) -> dict[str, object]:
        """Flat ``section.name -> value`` pairs for ``mlflow.log_params``."""
        return flat_params(self)


SECTION = "opportunity_scoring"


def opportunity_scoring_config(settings: Settings) -> OpportunityScoringConfig:
    """The ``opportunity_scoring`` section of salespipe.yml, defaults filled in.

    Raises:
        ml.config_file.ConfigError: the file is invalid.
    """
    return settings.section(SECTION, OpportunityScoringConfig)


# What a step says when the section switches deal scoring off.
SWITCHED_OFF = "switched off (opportunity_scoring.enabled is false)"
