"""Moving ``challenger`` and ``champion`` and keeping ``monitoring.model_promotions`` true.

Every function takes an open connection to the working warehouse and an MLflow client,
so a move and its history row are made together.
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
    con: duckdb.DuckDBPyConnection,
    *,
    model_name: str,
    alias: str,
    version: str,
    action: str,
    moved_by: str,
    reason: str,
    run_date: date | None = None,
) -> None:
    """Point ``alias`` at ``version`` and record the move."""
    previous = alias_version(client, model_name, alias)
    client.set_registered_model_alias(model_name, alias, version)
    history.record_move(
        con,
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


def notice_manual_moves(
    client, con: duckdb.DuckDBPyConnection, model_name: str, run_date: date | None = None
) -> str | None:
    """Record a champion move made outside salespipe (MLflow UI or API), if there was one.

    Compares the alias with the last champion the history knows. Returns the current
    champion version (None without one).
    """
    current = alias_version(client, model_name, CHAMPION)
    stack = history.champion_stack(con, model_name)
    known = stack[-1] if stack else None
    if current is not None and current != known:
        history.record_move(
            con,
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
    return current


def rollback_champion(
    client,
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    reason: str | None = None,
    actor: str | None = None,
) -> tuple[str, str]:
    """Move ``champion`` back to the previous champion. Returns (from, to).

    ``actor`` is who asked (the tracking server's account); default the OS user.

    Raises:
        NoPreviousChampionError: no champion, or no earlier one in the history.
    """
    current = notice_manual_moves(client, con, model_name)
    stack = history.champion_stack(con, model_name)
    if current is None or len(stack) < 2:
        raise NoPreviousChampionError(
            f"{model_name} has no earlier champion to roll back to "
            f"(champion history: {', '.join(stack) or 'empty'}). "
            "Promote a version by hand instead: set its 'champion' alias in the MLflow UI."
        )
    target = stack[-2]
    move_alias(
        client,
        con,
        model_name=model_name,
        alias=CHAMPION,
        version=target,
        action=history.ROLLBACK,
        moved_by=f"salespipe models rollback (user {actor or getpass.getuser()})",
        reason=reason or f"rolled back from version {current}",
    )
    return current, target


__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "NoPreviousChampionError",
    "alias_version",
    "move_alias",
    "notice_manual_moves",
    "rollback_champion",
]
