"""The promotion gate, as a pure decision: does a challenger become champion?

A challenger is promoted only if every check passes and it beats the champion on the
**same** rows by the configured margin. Without a champion, the checks alone decide
(a first model still has to pass them). The reason is always spelt out, because a
challenger that stays challenger is a question someone will ask.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reason: str


def decide_promotion(
    *,
    metric: str,
    challenger: float,
    champion: float | None,
    higher_is_better: bool,
    margin: float,
    checks: dict[str, tuple[bool, str]],
) -> GateDecision:
    """Decide whether the challenger takes over.

    Args:
        metric: the name of the comparison metric, for the reason.
        challenger: its value for the challenger on the comparison rows.
        champion: its value for the champion on the same rows; None without a champion.
        higher_is_better: True for AUC-like metrics, False for errors such as MASE.
        margin: how much better the challenger must be (negative: a tolerance).
        checks: name -> (passed, detail), all of which must pass.
    """
    failed = [f"{name}: {detail}" for name, (passed, detail) in checks.items() if not passed]
    if failed:
        return GateDecision(False, "failed " + "; ".join(failed))
    if champion is None:
        return GateDecision(True, f"first champion ({metric} {challenger:.4f}, all checks passed)")
    gain = challenger - champion if higher_is_better else champion - challenger
    comparison = f"{metric} {challenger:.4f} vs champion {champion:.4f} on the same rows"
    if gain > margin:
        return GateDecision(True, f"beats the champion: {comparison} (margin {margin:+.4f})")
    return GateDecision(
        False, f"does not beat the champion by the margin {margin:+.4f}: {comparison}"
    )
