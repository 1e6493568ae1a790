"""The lifecycle every use case's training shares: is a training due, and what happens
to the version it registers (``challenger``, the gate, maybe ``champion``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import duckdb

from ml.registry import history
from ml.registry.aliases import alias_version, move_alias, notice_manual_moves
from ml.registry.gate import GateDecision
from ml.registry.tracking import CHALLENGER, CHAMPION


@dataclass(frozen=True)
class TrainingOutcome:
    """What a training did: the registered version (None if none), and the gate's verdict."""

    run_id: str
    version: str | None
    promoted: bool
    summary: str


def training_due(client, model_name: str, business_date: date, every_days: int) -> str | None:
    """Why a training is due for ``business_date``, or None when it is not.

    Due without a champion, unless a version was already trained for this very date (a
    re-run of the night must not register a second one), and when the newest version
    is ``every_days`` old. Versions carry their ``business_date`` tag.
    """
    trained = [
        date.fromisoformat(v.tags["business_date"])
        for v in client.search_model_versions(f"name = '{model_name}'")
        if v.tags.get("business_date")
    ]
    latest = max(trained, default=None)
    if alias_version(client, model_name, CHAMPION) is None:
        return None if latest == business_date else "no champion"
    if latest is not None and (business_date - latest).days < every_days:
        return None
    return f"last trained for {latest}, retraining every {every_days} days"


def gate_new_version(
    client,
    con: duckdb.DuckDBPyConnection,
    *,
    model_name: str,
    version: str,
    business_date: date,
    trigger: str,
    decide: Callable[[str | None], GateDecision],
) -> GateDecision:
    """Make ``version`` the challenger, run the gate against the current champion and
    promote it if the gate says so; every move recorded, the verdict tagged on the version.

    ``decide`` takes the champion's version (None without one) and returns the verdict.
    """
    move_alias(client, con, model_name=model_name, alias=CHALLENGER, version=version,
               action=history.CHALLENGER, moved_by=f"training ({trigger})",
               reason=f"trained for {business_date}", run_date=business_date)  # fmt: skip
    decision = decide(notice_manual_moves(client, con, model_name, business_date))
    client.set_model_version_tag(model_name, version, "gate_decision", decision.reason)
    status = "promoted" if decision.promote else "rejected"
    client.set_model_version_tag(model_name, version, "validation_status", status)
    if decision.promote:
        move_alias(client, con, model_name=model_name, alias=CHAMPION, version=version,
                   action=history.PROMOTE, moved_by=f"promotion gate ({trigger})",
                   reason=decision.reason, run_date=business_date)  # fmt: skip
    return decision


def tag_version(client, model_name: str, version: str, tags: dict[str, str]) -> None:
    for key, value in tags.items():
        client.set_model_version_tag(model_name, version, key, value)
