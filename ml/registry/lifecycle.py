"""The lifecycle every use case's training shares: is a training due, and what happens
to the version it registers (``challenger``, the gate, maybe ``champion``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import duckdb

from ml.registry import history
from ml.registry.aliases import alias_version, move_alias, notice_manual_moves
from ml.registry.gate import GateDecision
from ml.registry.tracking import CHALLENGER, CHAMPION

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingOutcome:
    """What a training did: the registered version (None if none), and the gate's verdict."""

    run_id: str
    version: str | None
    promoted: bool
    summary: str


# A registration is complete once the gate has tagged its verdict; a version without it
# was interrupted (killed while logging, tagging or gating) and is cleaned up.
COMPLETE_STATUSES = ("promoted", "rejected")


def complete_versions(client, model_name: str) -> list:
    """The versions of ``model_name`` whose registration finished (tags and gate verdict)."""
    return [
        v
        for v in client.search_model_versions(f"name = '{model_name}'")
        if v.tags.get("business_date") and v.tags.get("validation_status") in COMPLETE_STATUSES
    ]


def registered_for(
    client, model_name: str, business_date: date, fingerprint: str | None = None
) -> str | None:
    """The newest complete version registered for ``business_date`` (and, when given, on
    data with this ``data_fingerprint``), or None."""
    versions = [
        v
        for v in complete_versions(client, model_name)
        if v.tags["business_date"] == business_date.isoformat()
        and (fingerprint is None or v.tags.get("data_fingerprint") == fingerprint)
    ]
    return str(max(int(v.version) for v in versions)) if versions else None


def reused_outcome(
    client, model_name: str, business_date: date, fingerprint: str, trigger: str
) -> TrainingOutcome | None:
    """The outcome of the version already registered for this date and data, if any: a
    re-run of the night (or a backfill) reuses it instead of registering a second one.
    A person asking for a training (trigger ``manual``) always gets a new version."""
    if trigger == "manual":
        return None
    version = registered_for(client, model_name, business_date, fingerprint)
    if version is None:
        return None
    model_version = client.get_model_version(model_name, version)
    promoted = alias_version(client, model_name, CHAMPION) == version
    summary = (
        f"v{version} was already registered for {business_date} on the same data "
        f"(fingerprint {fingerprint}); reused, nothing registered ("
        f"{model_version.tags.get('gate_decision', 'no gate verdict')})"
    )
    return TrainingOutcome(model_version.run_id or "", version, promoted, summary)


def clean_interrupted(client, model_name: str) -> list[str]:
    """Clean up what an interrupted training of ``model_name`` left; returns what was done.

    - runs of the model's experiment still ``RUNNING`` are marked ``FAILED`` (one
      training at a time: whatever is still running was killed);
    - versions whose registration never finished (no gate verdict) are deleted, unless
      an alias points at them (an alias set by hand is respected).
    """
    done: list[str] = []
    experiment = client.get_experiment_by_name(model_name)
    if experiment is not None:
        for run in client.search_runs(
            [experiment.experiment_id], filter_string="attributes.status = 'RUNNING'"
        ):
            client.set_tag(run.info.run_id, "salespipe_interrupted", "true")
            client.set_terminated(run.info.run_id, "FAILED")
            done.append(f"run {run.info.run_id} ({run.info.run_name}) marked FAILED")
    complete = {v.version for v in complete_versions(client, model_name)}
    for version in client.search_model_versions(f"name = '{model_name}'"):
        if version.version in complete or version.aliases:
            continue
        client.delete_model_version(model_name, version.version)
        done.append(f"{model_name} v{version.version} deleted (registration never finished)")
    for line in done:
        log.warning("cleaned up an interrupted training: %s", line)
    return done


def trained_for(client, model_name: str, version: str | None) -> date | None:
    """The business date ``version`` was trained for (its ``business_date`` tag), or None."""
    if version is None:
        return None
    tag = client.get_model_version(model_name, version).tags.get("business_date")
    return date.fromisoformat(tag) if tag else None


def champion_for(client, model_name: str, business_date: date, champion: str | None) -> str | None:
    """The version that serves ``business_date``: the live ``champion`` (as resolved by the
    caller), unless it was trained for a later date. A backfill behind it must not score
    with a model that learnt from its future, so it gets the newest version trained for
    a date on or before ``business_date`` that its gate promoted, or None (no champion
    as of that date: it trains its own, or falls back as a fresh install would)."""
    if champion is None:
        return None
    live_date = trained_for(client, model_name, champion)
    if live_date is None or live_date <= business_date:
        return champion
    earlier = [
        (date.fromisoformat(v.tags["business_date"]), int(v.version))
        for v in complete_versions(client, model_name)
        if v.tags.get("validation_status") == "promoted"
        and date.fromisoformat(v.tags["business_date"]) <= business_date
    ]
    return str(max(earlier)[1]) if earlier else None


def training_due(client, model_name: str, business_date: date, every_days: int) -> str | None:
    """Why a training is due for ``business_date``, or None when it is not.

    Not due when a complete version was already trained for this very date (a re-run of
    the night must not register a second one). Otherwise due without a champion as of
    the date (:func:`champion_for`), and when the newest version trained for a date on
    or before it is ``every_days`` old. Versions carry their ``business_date`` tag; a
    version trained for a later date never counts (a backfill must not learn from its
    future), so running dates in any order trains the same models.
    """
    trained = [
        date.fromisoformat(v.tags["business_date"]) for v in complete_versions(client, model_name)
    ]
    if business_date in trained:
        return None
    champion = alias_version(client, model_name, CHAMPION)
    if champion is None:
        return "no champion"
    if champion_for(client, model_name, business_date, champion) is None:
        return f"no champion as of {business_date}"
    latest = max((t for t in trained if t <= business_date), default=None)
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
) -> tuple[GateDecision, list[history.AliasMove]]:
    """Make ``version`` the challenger, run the gate against the current champion and
    promote it if the gate says so, the verdict tagged on the version. Returns the
    verdict and the moves made, for the calling step to record.

    A backfill (``business_date`` before the date the live champion was trained for) is
    gated against the champion as of its date (:func:`champion_for`) and moves no alias:
    the live aliases stay with the newer model, and the verdict on the version is what
    later runs of that date read.

    ``decide`` takes the champion's version (None without one) and returns the verdict.
    """
    live = alias_version(client, model_name, CHAMPION)
    as_of = champion_for(client, model_name, business_date, live)
    if live is not None and as_of != live:
        decision = decide(as_of)
        _tag_verdict(client, model_name, version, decision)
        log.info(
            "%s v%s trained for %s, before the live champion v%s's date: gated against %s, "
            "no alias moved (%s)",
            model_name, version, business_date, live,
            f"v{as_of}" if as_of else "no champion", decision.reason,
        )  # fmt: skip
        return decision, []
    moves = [move_alias(client, model_name=model_name, alias=CHALLENGER, version=version,
                        action=history.CHALLENGER, moved_by=f"training ({trigger})",
                        reason=f"trained for {business_date}", run_date=business_date)]  # fmt: skip
    champion, noticed = notice_manual_moves(client, con, model_name, business_date)
    moves += noticed
    decision = decide(champion)
    _tag_verdict(client, model_name, version, decision)
    if decision.promote:
        moves.append(move_alias(client, model_name=model_name, alias=CHAMPION, version=version,
                                action=history.PROMOTE, moved_by=f"promotion gate ({trigger})",
                                reason=decision.reason, run_date=business_date))  # fmt: skip
    return decision, moves


def _tag_verdict(client, model_name: str, version: str, decision: GateDecision) -> None:
    client.set_model_version_tag(model_name, version, "gate_decision", decision.reason)
    status = "promoted" if decision.promote else "rejected"
    client.set_model_version_tag(model_name, version, "validation_status", status)


def tag_version(client, model_name: str, version: str, tags: dict[str, str]) -> None:
    for key, value in tags.items():
        client.set_model_version_tag(model_name, version, key, value)
