"""``monitoring.pipeline_runs`` and ``monitoring.pipeline_run_tables``: what each run did.

``pipeline_runs`` (CONTRACT.md section 3) holds one row per run date, replaced when
the date is re-run. Its counts cover the delivery files processed for that business
date (``raw._ingested_files.business_date``), per table in ``pipeline_run_tables``,
and always reconcile:

    rows_in = rows_out + rows_quarantined + rows_rejected + rows_repeated

``rows_out`` are the rows loaded into raw, ``rows_quarantined`` the rows held in
``quarantine.*``, ``rows_rejected`` the rows of files refused as a whole (rejected
files are read again every run until fixed or removed, so they count in every run
until then; a removed one stays counted, as ``withdrawn``, in the run that last saw it),
``rows_repeated`` the rows of repeated deliveries (the same bytes again), not loaded twice.

A run's ``status`` is ``running`` from ingest until the whole night (warehouse, lead
scores, deal scores, forecasts: :data:`NIGHT_STAGES`) is complete and published, then ``success``;
``failed`` when a stage failed, or when the run was interrupted (killed) and a later run
found it still ``running``. ``monitoring.pipeline_stages`` records which stages of the
run finished, and when.

The tables are declared in :mod:`ml.catalog`; every change here reads a run's row and
writes it back through the catalog's writer (a run's row is its own partition).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pandas as pd

from ml import names
from ml.catalog import Write, ensure_table, write_partition, write_partitions
from ml.contract import LANDING_TABLES

RUNNING, SUCCESS, FAILED = "running", "success", "failed"
# Every stage a night must complete before it is published, in order.
WAREHOUSE_STAGE, LEAD_SCORING_STAGE, OPPORTUNITY_SCORING_STAGE, FORECAST_STAGE = (
    "warehouse",
    names.LEAD_SCORING,
    names.OPPORTUNITY_SCORING,
    names.REVENUE_FORECAST,
)
NIGHT_STAGES = (WAREHOUSE_STAGE, LEAD_SCORING_STAGE, OPPORTUNITY_SCORING_STAGE, FORECAST_STAGE)
STAGE_NAMES = {
    LEAD_SCORING_STAGE: "lead scoring",
    OPPORTUNITY_SCORING_STAGE: "deal scoring",
    FORECAST_STAGE: "forecasting",
}
# How a stage finished: it ran, or it had nothing to do (and says why).
DONE, SKIPPED = "done", "skipped"

RUNS, RUN_TABLES, STAGES = (
    "monitoring.pipeline_runs",
    "monitoring.pipeline_run_tables",
    "monitoring.pipeline_stages",
)


def ensure_monitoring_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the run tables from their declarations if they do not exist."""
    for name in (RUNS, RUN_TABLES, STAGES):
        ensure_table(con, name)


def _run_rows(con: duckdb.DuckDBPyConnection, where: str, params: list) -> list[dict[str, Any]]:
    cursor = con.execute(f"select * from {RUNS} where {where}", params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _run_write(row: dict[str, Any]) -> Write:
    return Write(RUNS, pd.DataFrame([row]), {"run_date": row["run_date"]})


def _update_run(con: duckdb.DuckDBPyConnection, run_date: date, **values: Any) -> None:
    """Set ``values`` on the run's row, if it has one."""
    for row in _run_rows(con, "run_date = ?", [run_date]):
        write_partitions(con, [_run_write({**row, **values})])


def start_run(con: duckdb.DuckDBPyConnection, run_date: date, started_at: datetime) -> None:
    """Replace ``run_date``'s row with a fresh one, status ``running``, and forget its stages.

    A run of another date still ``running`` was interrupted (one run at a time: nothing
    else is running now), so it is marked ``failed``.
    """
    ensure_monitoring_schema(con)
    interrupted = (
        "interrupted: the run stopped before it finished (killed?); a later run found it "
        "still running"
    )
    writes = [
        _run_write({**row, "status": FAILED, "finished_at": row["finished_at"] or _utc(started_at),
                    "message": row["message"] or interrupted})
        for row in _run_rows(con, "status = ? and run_date <> ?", [RUNNING, run_date])
    ]  # fmt: skip
    fresh = {"run_date": run_date, "started_at": _utc(started_at), "status": RUNNING}
    writes.append(_run_write(fresh))
    recorded = con.execute(f"select stage from {STAGES} where run_date = ?", [run_date]).fetchall()
    if recorded:  # the date's stages are forgotten
        stages = [stage for (stage,) in recorded]
        writes.append(Write(STAGES, _stage_frame([]), {"run_date": run_date, "stage": stages}))
    write_partitions(con, writes)


def _stage_frame(rows: list[list[Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["run_date", "stage", "finished_at", "status", "detail"])


def record_counts(con: duckdb.DuckDBPyConnection, run_date: date) -> None:
    """(Re)compute ``run_date``'s per-table counts and totals from ``raw._ingested_files``."""
    ensure_monitoring_schema(con)
    tables = con.execute(
        """
        select ?::date as run_date, t.table_name,
            count(f.path) as files,
            count(f.path) filter (where f.status = 'rejected') as files_rejected,
            count(f.path) filter (where f.status = 'duplicate') as files_repeated,
            coalesce(sum(f.rows_delivered), 0) as rows_delivered,
            coalesce(sum(f.row_count) filter (where f.status in ('loaded', 'replaced')), 0)
                as rows_loaded,
            coalesce(sum(f.rows_quarantined) filter (where f.status in ('loaded', 'replaced')), 0)
                as rows_quarantined,
            coalesce(sum(f.rows_delivered) filter (where f.status in ('rejected', 'withdrawn')), 0)
                as rows_rejected,
            coalesce(sum(f.rows_delivered) filter (where f.status = 'duplicate'), 0)
                as rows_repeated
        from (select unnest(?::varchar[]) as table_name) as t
        left join raw._ingested_files as f
            on f.table_name = t.table_name and f.business_date = ?
        group by t.table_name
        order by t.table_name
        """,
        [run_date, list(LANDING_TABLES), run_date],
    ).df()
    writes = [Write(RUN_TABLES, tables, {"run_date": run_date})]
    totals = {
        "rows_in": "rows_delivered", "rows_out": "rows_loaded",
        "rows_quarantined": "rows_quarantined", "rows_rejected": "rows_rejected",
        "rows_repeated": "rows_repeated", "files_in": "files", "files_rejected": "files_rejected",
    }  # fmt: skip
    for row in _run_rows(con, "run_date = ?", [run_date]):
        sums = {column: int(tables[source].sum()) for column, source in totals.items()}
        writes.append(_run_write({**row, **sums}))
    write_partitions(con, writes)


def note_skipped(
    con: duckdb.DuckDBPyConnection, run_date: date, skipped: list[tuple[str, str]]
) -> None:
    """Keep what the landing zone held that is not a delivery (a folder that is not a
    date, a symlink out of the zone, ...) on the run's row, so the reconciliation shows it."""
    ensure_monitoring_schema(con)
    _update_run(
        con, run_date, paths_skipped=len(skipped),
        skipped="; ".join(f"{path}: {reason}" for path, reason in skipped) or None,
    )  # fmt: skip


def note_message(con: duckdb.DuckDBPyConnection, run_date: date, message: str) -> None:
    """Keep ``message`` on the run's row unless it already has one (or it is empty)."""
    if not message:
        return
    ensure_monitoring_schema(con)
    for row in _run_rows(con, "run_date = ?", [run_date]):
        write_partitions(con, [_run_write({**row, "message": row["message"] or message})])


def note_gate(
    con: duckdb.DuckDBPyConnection, run_date: date, data_docs: str | None, message: str | None
) -> None:
    """Keep the gate's verdict (None when it passed) and the Data Docs path on the run's row."""
    ensure_monitoring_schema(con)
    for row in _run_rows(con, "run_date = ?", [run_date]):
        docs = data_docs if data_docs is not None else row["data_docs"]
        write_partitions(con, [_run_write({**row, "data_docs": docs, "message": message})])


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_date: date,
    status: str,
    finished_at: datetime,
    *,
    only_if_running: bool = False,
    message: str | None = None,
) -> str | None:
    """Set the run's final status; returns the status now recorded (None: no such run).

    ``only_if_running`` leaves a run that already finished alone: the end-of-run task
    calls it after every task, and only a run nobody marked successful failed.
    """
    ensure_monitoring_schema(con)
    rows = _run_rows(con, "run_date = ?", [run_date])
    if not rows or (only_if_running and rows[0]["status"] != RUNNING):
        return None if not rows else rows[0]["status"]
    row = rows[0]
    write_partitions(con, [_run_write({
        **row, "status": status, "finished_at": _utc(finished_at),
        "message": row["message"] if row["message"] is not None else message,
    })])  # fmt: skip
    return status


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def record_stage(
    con: duckdb.DuckDBPyConnection,
    run_date: date,
    stage: str,
    finished_at: datetime,
    *,
    skipped: str | None = None,
) -> None:
    """Record that ``stage`` of ``run_date``'s run finished (replacing an earlier record):
    ``done``, or ``skipped`` with the reason (no revenue data, switched off). A skipped
    stage is finished: the night publishes without it, and says so."""
    ensure_monitoring_schema(con)
    row = [run_date, stage, _utc(finished_at), SKIPPED if skipped else DONE, skipped]
    write_partition(con, STAGES, _stage_frame([row]), {"run_date": run_date, "stage": stage})


def skipped_stages(con: duckdb.DuckDBPyConnection, run_date: date) -> list[str]:
    """``forecasting skipped: <reason>`` for each stage of the run that was skipped."""
    ensure_monitoring_schema(con)
    return skipped_stage_lines(con, run_date)


def skipped_stage_lines(con: duckdb.DuckDBPyConnection, run_date: date) -> list[str]:
    """As :func:`skipped_stages`, on a connection that may be read-only (the published
    file): creates nothing, and says nothing when the table is not there."""
    try:
        rows = con.execute(
            "select stage, detail from monitoring.pipeline_stages "
            "where run_date = ? and status = ? order by stage",
            [run_date, SKIPPED],
        ).fetchall()
    except duckdb.CatalogException:
        return []
    return [f"{STAGE_NAMES.get(stage, stage)} skipped: {detail}" for stage, detail in rows]


def stages_done(con: duckdb.DuckDBPyConnection, run_date: date) -> set[str]:
    """The stages of ``run_date``'s current run that finished."""
    ensure_monitoring_schema(con)
    rows = con.execute(
        "select stage from monitoring.pipeline_stages where run_date = ?", [run_date]
    ).fetchall()
    return {stage for (stage,) in rows}


def working_night(con: duckdb.DuckDBPyConnection) -> tuple[date, str] | None:
    """(run date, status) of the run started last: the night the working file holds."""
    ensure_monitoring_schema(con)
    return con.execute(
        "select run_date, status from monitoring.pipeline_runs "
        "order by started_at desc nulls last limit 1"
    ).fetchone()
