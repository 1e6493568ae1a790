"""``monitoring.audit_log``: who did what to this install, when, with which arguments, and
how it ended; one row per action.

Where the rows come from:

- ``salespipe`` commands that change state append one JSON line each to
  ``$SALESPIPE_HOME/audit/audit.jsonl`` (mode 600) when they end. An append-only file,
  because a command may run while a night holds the working warehouse (DuckDB allows one
  writer per file); personal data in the arguments (lead ids, emails) is a keyed hash;
- DAG runs come from Airflow's own records (``dag_run``: who or what triggered it);
- trainings, promotions, manual moves, refusals and rollbacks from
  ``monitoring.model_promotions``; erasures from ``monitoring.erasures``.

:func:`load_audit_log` rebuilds the table from all of them each time the warehouse is
published, so BI sees it; the file is the running record between two publishes.
"""

from __future__ import annotations

import fcntl
import getpass
import json
import logging
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ml.settings import Settings

if TYPE_CHECKING:  # pandas and duckdb load only where rows are read: the CLI stays quick
    import duckdb
    import pandas as pd

log = logging.getLogger(__name__)

TABLE = "monitoring.audit_log"
COLUMNS = ["at", "actor", "action", "target", "arguments", "outcome", "source"]
# Arguments whose values are personal data: kept only as a keyed hash.
PERSONAL_ARGUMENTS = ("lead_ids", "emails")
# monitoring.model_promotions action -> audit action
_PROMOTION_ACTIONS = {
    "challenger": "training",
    "promote": "promotion",
    "manual": "promotion by hand (outside salespipe)",
    "refused": "promotion refused",
    "rollback": "rollback",
}


def audit_file(settings: Settings) -> Path:
    return settings.home / "audit" / "audit.jsonl"


def actor(settings: Settings) -> str:
    """Who is acting: ``SALESPIPE_ACTOR`` (a team deployment's user), else the OS user."""
    if settings.actor:
        return settings.actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def hashed_arguments(arguments: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    """``arguments`` with personal values replaced by their keyed hash."""
    from ml.privacy.identifiers import keyed_hash

    clean: dict[str, Any] = {}
    for name, value in arguments.items():
        if name in PERSONAL_ARGUMENTS and value:
            key = settings.pii_key()
            clean[name] = [f"keyed-sha256:{keyed_hash(key, str(v))}" for v in value]
        elif isinstance(value, str | int | float | bool) or value is None:
            clean[name] = value
        else:
            clean[name] = str(value)
    return clean


def record(
    settings: Settings,
    action: str,
    *,
    arguments: Mapping[str, Any],
    outcome: str,
    target: str | None = None,
    at: datetime | None = None,
) -> None:
    """Append one action to the audit file (created 600); personal arguments hashed.

    Nothing is written when the home does not exist: a command that failed before
    making one changed no state, and must not invent a home to say so.
    """
    if not settings.home.is_dir():
        return
    path = audit_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = json.dumps(
        {
            "at": (at or datetime.now(UTC)).replace(tzinfo=None).isoformat(),
            "actor": actor(settings),
            "action": action,
            "target": target,
            "arguments": json.dumps(hashed_arguments(arguments, settings), sort_keys=True),
            "outcome": outcome,
            "source": "salespipe",
        }
    )
    with path.open("a", encoding="utf-8") as handle:
        path.chmod(0o600)
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.write(line + "\n")
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def audited(
    settings: Settings, action: str, arguments: Mapping[str, Any], target: str | None = None
) -> Iterator[None]:
    """Record ``action`` when the block ends: ``succeeded``, or ``failed: <why>``."""
    started = datetime.now(UTC)
    try:
        yield
    except BaseException as exc:
        why = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        record(settings, action, arguments=arguments, outcome=f"failed: {why}", target=target,
               at=started)  # fmt: skip
        raise
    record(settings, action, arguments=arguments, outcome="succeeded", target=target, at=started)


def load_audit_log(con: duckdb.DuckDBPyConnection, settings: Settings) -> int:
    """Rebuild ``monitoring.audit_log`` in the working warehouse; returns its rows."""
    import pandas as pd

    frames = [_file_rows(settings), _dag_runs(settings), _warehouse_rows(con)]
    rows = pd.concat([f for f in frames if not f.empty], ignore_index=True)
    rows = rows if not rows.empty else pd.DataFrame(columns=COLUMNS)
    rows["at"] = pd.to_datetime(rows["at"], errors="coerce", format="mixed")
    rows = rows.sort_values("at", kind="stable")[COLUMNS].astype(
        {c: "string" for c in COLUMNS if c != "at"}
    )
    from ml.catalog import write_partition

    return write_partition(con, TABLE, rows, {})  # the whole table: rebuilt every night


def _file_rows(settings: Settings) -> pd.DataFrame:
    import pandas as pd

    path = audit_file(settings)
    if not path.exists():
        return pd.DataFrame(columns=COLUMNS)
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue  # a line cut by a crash mid-write; the others stand
    return pd.DataFrame(records, columns=COLUMNS)


def _dag_runs(settings: Settings) -> pd.DataFrame:
    """One row per DAG run Airflow recorded, with who or what triggered it."""
    import pandas as pd

    database = settings.airflow_home / "airflow.db"
    if not database.exists():
        return pd.DataFrame(columns=COLUMNS)
    try:
        with sqlite3.connect(database, timeout=30) as db:
            runs = db.execute(
                "select coalesce(created_at, queued_at, end_date), "
                "coalesce(triggering_user_name, triggered_by, run_type), dag_id, run_id, "
                "run_type, triggered_by, logical_date, conf, state from dag_run"
            ).fetchall()
    except sqlite3.Error as exc:  # never let the audit stop a night; say so instead
        log.warning("audit log: Airflow's DAG runs could not be read from %s: %s", database, exc)
        return pd.DataFrame(columns=COLUMNS)
    return pd.DataFrame(
        [
            [at, who, "dag run", dag_id,
             json.dumps({"run_id": run_id, "run_type": run_type, "triggered_by": triggered_by,
                         "logical_date": logical_date, "conf": conf}, sort_keys=True),
             state, "airflow"]
            for at, who, dag_id, run_id, run_type, triggered_by, logical_date, conf, state in runs
        ],
        columns=COLUMNS,
    )  # fmt: skip


def _warehouse_rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Trainings, promotions and rollbacks (model_promotions) and erasures."""
    import pandas as pd

    frames = []
    if _exists(con, "model_promotions"):
        moves = con.execute(
            "select moved_at, moved_by, action, model_name, alias, from_version, to_version, "
            "run_date, reason from monitoring.model_promotions"
        ).fetchall()
        frames.append(
            pd.DataFrame(
                [
                    [
                        at,
                        who,
                        _PROMOTION_ACTIONS.get(action, action),
                        name,
                        json.dumps(
                            {
                                "alias": alias,
                                "from_version": old,
                                "to_version": new,
                                "run_date": str(run_date) if run_date else None,
                            },
                            sort_keys=True,
                        ),
                        reason,
                        "registry",
                    ]
                    for at, who, action, name, alias, old, new, run_date, reason in moves
                ],
                columns=COLUMNS,
            )  # fmt: skip
        )
    if _exists(con, "erasures"):
        erasures = con.execute(
            "select erasure_id, min(erased_at), any_value(erased_by), "
            "any_value(identifier_hashes), any_value(leads_found), sum(rows) "
            "from monitoring.erasures group by erasure_id"
        ).fetchall()
        frames.append(
            pd.DataFrame(
                [
                    [
                        at,
                        who,
                        "erasure",
                        erasure_id,
                        json.dumps(
                            {"identifier_hashes": list(hashes), "leads_found": leads},
                            sort_keys=True,
                        ),
                        f"succeeded: {rows} rows removed",
                        "privacy",
                    ]
                    for erasure_id, at, who, hashes, leads, rows in erasures
                ],
                columns=COLUMNS,
            )  # fmt: skip
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'monitoring' and table_name = ?",
            [table],
        ).fetchall()[0][0]
    )
