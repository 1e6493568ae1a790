"""``monitoring.model_promotions``: every alias move, who or what made it, and why.

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

from datetime import UTC, date, datetime

import duckdb

CHALLENGER, PROMOTE, ROLLBACK, MANUAL = "challenger", "promote", "rollback", "manual"
REFUSED = "refused"  # a hand move to a gate-failed version without approval, undone

_COLUMNS = """
    moved_at timestamp, run_date date, model_name varchar, alias varchar, action varchar,
    from_version varchar, to_version varchar, moved_by varchar, reason varchar
"""


def ensure_promotions_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists monitoring")
    con.execute(f"create table if not exists monitoring.model_promotions ({_COLUMNS})")


def record_move(
    con: duckdb.DuckDBPyConnection,
    *,
    model_name: str,
    alias: str,
    action: str,
    from_version: str | None,
    to_version: str | None,
    moved_by: str,
    reason: str,
    run_date: date | None = None,
) -> None:
    """Append one move."""
    ensure_promotions_table(con)
    con.execute(
        "insert into monitoring.model_promotions values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            datetime.now(UTC).replace(tzinfo=None),
            run_date,
            model_name,
            alias,
            action,
            from_version,
            to_version,
            moved_by,
            reason,
        ],
    )


def champion_stack(con: duckdb.DuckDBPyConnection, model_name: str) -> list[str]:
    """The champion versions in order, replaying pushes (promote, manual) and pops (rollback)."""
    ensure_promotions_table(con)
    moves = con.execute(
        """
        select action, to_version from monitoring.model_promotions
        where model_name = ? and alias = 'champion'
        order by moved_at, rowid
        """,
        [model_name],
    ).fetchall()
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
