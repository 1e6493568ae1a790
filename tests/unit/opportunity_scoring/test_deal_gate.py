"""The deal model's gate on the first night: what it refuses for calibration, and what
it passes because the stage win rates it would otherwise leave the night to are worse."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ml.opportunity_scoring.config import OpportunityScoringConfig
from ml.opportunity_scoring.evaluate import HoldoutEvaluation
from ml.opportunity_scoring.steps.tracking import gate

# 20,000 snapshots at 0.5: chance alone gives a calibrated model an ECE near 0.01, so the
# limit is the configured 0.08
PROBABILITY = np.full(20_000, 0.5)
JUDGED = HoldoutEvaluation(
    snapshots=20_000, deals=3_000, auc=0.75, auc_first_snapshot=0.7, ece=0.12, log_loss=0.6,
    stage_rate_auc=0.65, stage_rate_ece=0.20, expected_over_won=1.0,
)  # fmt: skip


def first_night(judged: HoldoutEvaluation) -> tuple[bool, str]:
    decision = gate(
        None, holdout=pd.DataFrame(), judged=judged, probability=PROBABILITY,
        config=OpportunityScoringConfig(),
    )  # fmt: skip
    return decision.promote, decision.reason


def test_a_model_over_the_limit_but_better_calibrated_than_the_stage_rates_is_promoted():
    promote, reason = first_night(JUDGED)
    assert promote
    assert reason == (
        "first champion (holdout AUC over 20,000 snapshots of 3,000 deals 0.7500, "
        "all checks passed)"
    )


def test_a_model_over_the_limit_and_worse_calibrated_than_the_stage_rates_is_refused():
    promote, reason = first_night(replace(JUDGED, stage_rate_ece=0.10))
    assert not promote
    assert reason == (
        "failed calibration: expected calibration error 0.1200 "
        "(limit 0.0800, or the stage win rates' 0.1000)"
    )


def test_a_model_within_the_limit_passes_whatever_the_stage_rates_show():
    promote, _ = first_night(replace(JUDGED, ece=0.05, stage_rate_ece=0.01))
    assert promote
