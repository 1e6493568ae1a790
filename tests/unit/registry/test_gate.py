"""The promotion gate's verdicts, and the reason it gives."""

from __future__ import annotations

from ml.registry.gate import decide_promotion

PASS = {"calibration": (True, "ECE 0.01 (limit 0.05)")}


def decide(challenger, champion, margin=0.001, checks=PASS, higher_is_better=True):
    return decide_promotion(
        metric="AUC", challenger=challenger, champion=champion,
        higher_is_better=higher_is_better, margin=margin, checks=checks,
    )  # fmt: skip


def test_a_first_model_needs_only_its_checks():
    assert decide(0.8, None).promote
    failed = decide(0.8, None, checks={"calibration": (False, "ECE 0.09 (limit 0.05)")})
    assert not failed.promote
    assert failed.reason == "failed calibration: ECE 0.09 (limit 0.05)"


def test_the_challenger_must_beat_the_champion_by_the_margin():
    assert decide(0.805, 0.800).promote
    stays = decide(0.8005, 0.800)
    assert not stays.promote
    assert stays.reason == (
        "does not beat the champion by the margin +0.0010: AUC 0.8005 vs champion 0.8000 "
        "on the same rows"
    )


def test_a_negative_margin_is_a_tolerance_as_in_dynamics():
    assert decide(0.79, 0.80, margin=-0.02).promote
    assert not decide(0.77, 0.80, margin=-0.02).promote


def test_for_errors_lower_is_better():
    assert decide(0.7, 0.9, margin=0.05, higher_is_better=False).promote
    assert not decide(0.9, 0.7, margin=0.0, higher_is_better=False).promote


def test_checks_block_even_a_better_challenger():
    verdict = decide(0.95, 0.80, checks={"calibration": (False, "ECE 0.2 (limit 0.05)")})
    assert not verdict.promote
