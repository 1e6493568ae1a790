"""Moving ``challenger`` and ``champion``, and saying which moves were made.

Every function that moves an alias returns the :class:`~ml.registry.history.AliasMove` s
it made; the calling step writes them to ``monitoring.model_promotions`` through the
catalog: ``write_partition(con, PROMOTIONS, moves_frame(moves))``. A connection to the
working warehouse is only read, for the champion history.
"""

from __future__ import annotations

import getpass
import logging
from datetime import date

import duckdb

from ml.registry import history
from ml.registry.tracking import CHALLENGER, CHAMPION

log = logging.getLogger(__name__)


class NoPreviousChampionError(RuntimeError):
    """Rollback asked for, but the history holds no earlier champion."""


def alias_version(client, model_name: str, alias: str) -> str | None:
    """The version ``alias`` points at, or None (no such model or alias)."""
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(model_name, alias).version)
    except MlflowException:
        return None


def move_alias(
    client,
    *,
    model_name: str,
    alias: str,
    version: str,
    action: str,
    moved_by: str,
    reason: str,
    run_date: date | None = None,
) -> history.AliasMove:
    """Point ``alias`` at ``version``; returns the move."""
    previous = alias_version(client, model_name, alias)
    client.set_registered_model_alias(model_name, alias, version)
    move = history.AliasMove(
        model_name=model_name,
        alias=alias,
        action=action,
        from_version=previous,
        to_version=version,
        moved_by=moved_by,
        reason=reason,
        run_date=run_date,
    )
    log.info("%s@%s: %s -> %s (%s)", model_name, alias, previous, version, reason)
    return move


def notice_manual_moves(
    client, con: duckdb.DuckDBPyConnection, model_name: str, run_date: date | None = None
) -> tuple[str | None, list[history.AliasMove]]:
    """Notice a champion move made outside salespipe (MLflow UI or API), if there was one.

    Compares the alias with the last champion the history knows. Returns the current
    champion version (None without one) and the moves to record (the one noticed, or its
    refusal; none when nothing moved).
    """
    current = alias_version(client, model_name, CHAMPION)
    stack = history.champion_stack(con, model_name)
    known = stack[-1] if stack else None
    if current is not None and current != known:
        refusal = unapproved_reason(client, model_name, current)
        if refusal is not None:
            return _refuse(client, model_name, current, known, refusal, run_date)
        move = history.AliasMove(
            model_name=model_name,
            alias=CHAMPION,
            action=history.MANUAL,
            from_version=known,
            to_version=current,
            moved_by="outside salespipe (MLflow UI or API)",
            reason=f"alias found on version {current}, history had {known}; noticed by a run",
            run_date=run_date,
        )
        log.warning(
            "%s@champion was moved outside salespipe: %s -> %s; recorded",
            model_name,
            known,
            current,
        )
        return current, [move]
    return current, []


# Version tags that make a hand promotion of a gate-failed version acceptable.
APPROVED_BY, APPROVAL_REASON = "approved_by", "approval_reason"


def unapproved_reason(client, model_name: str, version: str) -> str | None:
    """Why ``version`` may not be champion without an approval, or None if it may.

    A version the gate promoted, or one carrying both ``approved_by`` and
    ``approval_reason`` tags (set in the MLflow UI or by ``salespipe models promote``),
    may be champion. Any other one (rejected by the gate, or never gated) may not.
    """
    tags = client.get_model_version(model_name, version).tags
    if tags.get("validation_status") == "promoted":
        return None
    if tags.get(APPROVED_BY, "").strip() and tags.get(APPROVAL_REASON, "").strip():
        return None
    verdict = tags.get("gate_decision") or f"validation status {tags.get('validation_status')!r}"
    return (
        f"{model_name} v{version} was made champion outside salespipe without an approval, "
        f"and it did not pass its promotion gate ({verdict}). Refused: champion stays "
        "{kept}. To promote it anyway, say who and why: `salespipe models promote "
        f'{model_name} --version {version} --reason "..."`, or set the version tags '
        f"{APPROVED_BY} and {APPROVAL_REASON} in the MLflow UI."
    )


def _refuse(client, model_name: str, current: str, known: str | None, refusal: str,
            run_date: date | None) -> tuple[str | None, list[history.AliasMove]]:  # fmt: skip
    """Put ``champion`` back on ``known`` (or remove it); returns it and the refused move."""
    message = refusal.replace("{kept}", f"v{known}" if known else "unset (no earlier champion)")
    if known is None:
        client.delete_registered_model_alias(model_name, CHAMPION)
    else:
        client.set_registered_model_alias(model_name, CHAMPION, known)
    move = history.AliasMove(
        model_name=model_name,
        alias=CHAMPION,
        action=history.REFUSED,
        from_version=known,
        to_version=current,
        moved_by="outside salespipe (MLflow UI or API)",
        reason=message,
        run_date=run_date,
    )
    log.warning(message)
    return known, [move]


def promote_by_hand(
    client, con: duckdb.DuckDBPyConnection, model_name: str, version: str, reason: str,
    actor: str,
) -> tuple[str | None, list[history.AliasMove]]:  # fmt: skip
    """Make ``version`` champion with who and why, gate verdict or not; returns the old
    one and the moves to record.

    The approval is kept on the version (tags ``approved_by``, ``approval_reason``,
    ``approved_at``), so later runs accept it.

    Raises:
        ValueError: no such version, or an empty reason.
    """
    from datetime import UTC, datetime

    from mlflow.exceptions import MlflowException

    if not reason.strip():
        raise ValueError("--reason must say why this version should be champion.")
    try:
        tags = client.get_model_version(model_name, version).tags
    except MlflowException:
        raise ValueError(f"{model_name} has no version {version}.") from None
    _, moves = notice_manual_moves(client, con, model_name)
    previous = alias_version(client, model_name, CHAMPION)
    for key, value in (
        (APPROVED_BY, actor),
        (APPROVAL_REASON, reason.strip()),
        ("approved_at", datetime.now(UTC).isoformat(timespec="seconds")),
    ):
        client.set_model_version_tag(model_name, version, key, value)
    gate = tags.get("gate_decision", "no gate verdict")
    moves.append(move_alias(
        client, model_name=model_name, alias=CHAMPION, version=version,
        action=history.PROMOTE, moved_by=f"salespipe models promote (user {actor})",
        reason=f"{reason.strip()} (gate: {gate})",
    ))  # fmt: skip
    return previous, moves


def rollback_champion(
    client,
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    reason: str | None = None,
    actor: str | None = None,
) -> tuple[tuple[str, str], list[history.AliasMove]]:
    """Move ``champion`` back to the previous champion. Returns (from, to) and the moves
    to record.

    ``actor`` is who asked (the tracking server's account); default the OS user.

    Raises:
        NoPreviousChampionError: no champion, or no earlier one in the history.
    """
    current, moves = notice_manual_moves(client, con, model_name)
    stack = history.champion_stack(con, model_name, pending=moves)
    if current is None or len(stack) < 2:
        raise NoPreviousChampionError(
            f"{model_name} has no earlier champion to roll back to "
            f"(champion history: {', '.join(stack) or 'empty'}). "
            "Promote a version by hand instead: set its 'champion' alias in the MLflow UI."
        )
    target = stack[-2]
    move = move_alias(
        client,
        model_name=model_name,
        alias=CHAMPION,
        version=target,
        action=history.ROLLBACK,
        moved_by=f"salespipe models rollback (user {actor or getpass.getuser()})",
        reason=reason or f"rolled back from version {current}",
    )
    return (current, target), [*moves, move]


__all__ = [
    "APPROVAL_REASON",
    "APPROVED_BY",
    "CHALLENGER",
    "CHAMPION",
    "NoPreviousChampionError",
    "alias_version",
    "move_alias",
    "notice_manual_moves",
    "promote_by_hand",
    "rollback_champion",
    "unapproved_reason",
]
