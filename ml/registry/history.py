"""Alias moves, and ``monitoring.model_promotions``: every move, who or what made it, and why.

The registry moves aliases and *returns* the :class:`AliasMove` s it made; the step that
called it writes them (``write_partition(con, PROMOTIONS, moves_frame(moves))``), through
the catalog like every other table.

One row per move. ``action`` says what kind of move it was:

- ``challenger``: a new version was registered and awaits the gate;
- ``promote``: the gate promoted it to champion (the first champion too);
- ``rollback``: ``salespipe models rollback`` moved the champion back;
- ``manual``: the alias was moved outside salespipe (the MLflow UI or API), noticed at
  the next training or scoring run;
- ``refused``: such a move to a version that failed its gate and carries no approval
  (``approved_by`` and ``approval_reason`` tags), undone by that run; the reason says why.

The champion history is a stack: promotions and manual moves push a version, a rollback
pops one, so two rollbacks in a row go two versions back rather than toggling.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

import duckdb
import pandas as pd

PROMOTIONS = "monitoring.model_promotions"
CHALLENGER, PROMOTE, ROLLBACK, MANUAL = "challenger", "promote", "rollback", "manual"
REFUSED = "refused"  # a hand move to a gate-failed version without approval, undone


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class AliasMove:
    """One move of an alias, as a row of ``monitoring.model_promotions``."""

    model_name: str
    alias: str
    action: str
    from_version: str | None
    to_version: str | None
    moved_by: str
    reason: str
    run_date: date | None = None
    moved_at: datetime = field(default_factory=_now)


def moves_frame(moves: Iterable[AliasMove]) -> pd.DataFrame:
    """The moves as rows of ``monitoring.model_promotions``, for the catalog to write."""
    columns = [
        "moved_at", "run_date", "model_name", "alias", "action", "from_version",
        "to_version", "moved_by", "reason",
    ]  # fmt: skip
    return pd.DataFrame([asdict(m) for m in moves], columns=columns)


def champion_stack(
    con: duckdb.DuckDBPyConnection, model_name: str, pending: Iterable[AliasMove] = ()
) -> list[str]:
    """The champion versions in order, replaying pushes (promote, manual) and pops
    (rollback) of the recorded moves, then of ``pending`` ones not written yet."""
    try:
        moves = con.execute(
            f"""
            select action, to_version from {PROMOTIONS}
            where model_name = ? and alias = 'champion'
            order by moved_at, rowid
            """,
            [model_name],
        ).fetchall()
    except duckdb.CatalogException:  # nothing recorded yet
        moves = []
    moves += [
        (m.action, m.to_version)
        for m in pending
        if m.model_name == model_name and m.alias == "champion"
    ]
    stack: list[str] = []
    for action, to_version in moves:
        if action == REFUSED:
            continue
        if action == ROLLBACK:
            if stack:
                stack.pop()
            if not stack or stack[-1] != to_version:  # history edited by hand: trust the move
                stack.append(to_version)
        elif not stack or stack[-1] != to_version:
            stack.append(to_version)
    return stack
