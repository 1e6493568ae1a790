"""The retraining decision: which signal fired, and the cooldown."""

from __future__ import annotations

import datetime as dt

import pytest

from ml.monitoring import DriftConfig, decide_retraining

CONFIG = DriftConfig(share_drifted_features=0.3, auc_drop=0.05, cooldown_days=7)
TODAY = dt.date(2024, 6, 10)
QUIET = dict(
    share_drifted=0.1,
    prediction_drifted=False,
    realised_auc=0.79,
    promotion_auc=0.80,
    last_retrained=None,
    run_date=TODAY,
    config=CONFIG,
)


def test_a_quiet_night_asks_for_nothing():
    decision = decide_retraining(**QUIET)
    assert not decision.retrain and decision.alerts == [] and not decision.suppressed_by_cooldown
    assert decision.summary == "no drift alert: no retraining."


@pytest.mark.parametrize(
    ("change", "alert"),
    [
        (
            {"share_drifted": 0.4, "drifted_features": ["source", "employees"]},
            "data drift: 40% of features drifted (source, employees), threshold 30%",
        ),
        ({"share_drifted": 0.3}, "data drift: 30% of features drifted, threshold 30%"),
        (
            {"prediction_drifted": True},
            "prediction drift: tonight's scores are distributed unlike the reference's",
        ),
        (
            {"realised_auc": 0.75},
            "performance: realised AUC 0.750 is 0.050 below 0.800 at promotion, allowed drop 0.050",
        ),
    ],
)
def test_each_signal_on_its_own_asks_for_retraining(change, alert):
    decision = decide_retraining(**{**QUIET, **change})
    assert decision.retrain and decision.alerts == [alert]
    assert decision.summary == f"retraining requested: {alert}"


def test_unknown_or_nan_performance_raises_no_alert():
    assert not decide_retraining(**{**QUIET, "realised_auc": None}).retrain
    assert not decide_retraining(**{**QUIET, "promotion_auc": None}).retrain
    assert not decide_retraining(**{**QUIET, "realised_auc": float("nan")}).retrain


def test_a_recent_retraining_suppresses_another_but_keeps_the_alerts():
    drifted = {**QUIET, "share_drifted": 0.5, "prediction_drifted": True}
    recent = decide_retraining(**{**drifted, "last_retrained": TODAY - dt.timedelta(days=6)})
    assert not recent.retrain and recent.suppressed_by_cooldown and len(recent.alerts) == 2
    assert recent.summary.startswith("retraining suppressed by the cooldown: data drift")
    over = decide_retraining(**{**drifted, "last_retrained": TODAY - dt.timedelta(days=7)})
    assert over.retrain and not over.suppressed_by_cooldown


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="share_drifted must be between 0 and 1"):
        decide_retraining(**{**QUIET, "share_drifted": float("nan")})
    with pytest.raises(ValueError, match=r"last_retrained \(2024-06-11\) is after the run date"):
        decide_retraining(**{**QUIET, "last_retrained": dt.date(2024, 6, 11)})
