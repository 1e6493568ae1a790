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
scores, forecasts: :data:`NIGHT_STAGES`) is complete and published, then ``success``;
``failed`` when a stage failed, or when the run was interrupted (killed) and a later run
found it still ``running``. ``monitoring.pipeline_stages`` records which stages of the
run finished, and when.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb

from ml import names
from ml.contract import LANDING_TABLES

RUNNING, SUCCESS, FAILED = "running", "success", "failed"
# Every stage a night must complete before it is published, in order.
WAREHOUSE_STAGE, LEAD_SCORING_STAGE, FORECAST_STAGE = (
    "warehouse",
    names.LEAD_SCORING,
    names.REVENUE_FORECAST,
)
NIGHT_STAGES = (WAREHOUSE_STAGE, LEAD_SCORING_STAGE, FORECAST_STAGE)
STAGE_NAMES = {LEAD_SCORING_STAGE: "lead scoring", FORECAST_STAGE: "forecasting"}
# How a stage finished: it ran, or it had nothing to do (and says why).
DONE, SKIPPED = "done", "skipped"

_RUN_COLUMNS = """
    run_date date primary key, started_at timestamp, finished_at timestamp, status varchar,
    rows_in bigint, rows_quarantined bigint, rows_out bigint, rows_rejected bigint,
    rows_repeated bigint, files_in bigint, files_rejected bigint, message varchar,
    data_docs varchar
"""
_TABLE_COLUMNS = """
    run_date date, table_name varchar, files bigint, files_rejected bigint,
    files_repeated bigint, rows_delivered bigint, rows_loaded bigint, rows_quarantined bigint,
    rows_rejected bigint, rows_repeated bigint
"""


def ensure_monitoring_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the monitoring schema and both tables if they do not exist."""
    con.execute("create schema if not exists monitoring")
    con.execute(f"create table if not exists monitoring.pipeline_runs ({_RUN_COLUMNS})")
    # What the landing zone held that is not a delivery; added later, hence the alter.
    con.execute(
        "alter table monitoring.pipeline_runs add column if not exists paths_skipped bigint"
    )
    con.execute("alter table monitoring.pipeline_runs add column if not exists skipped varchar")
    con.execute(f"create table if not exists monitoring.pipeline_run_tables ({_TABLE_COLUMNS})")
    con.execute(
        "create table if not exists monitoring.pipeline_stages "
        "(run_date date, stage varchar, finished_at timestamp, status varchar, detail varchar)"
    )


def start_run(con: duckdb.DuckDBPyConnection, run_date: date, started_at: datetime) -> None:
    """Replace ``run_date``'s row with a fresh one, status ``running``, and forget its stages.

    A run of another date still ``running`` was interrupted (one run at a time: nothing
    else is running now), so it is marked ``failed``.
    """
    ensure_monitoring_schema(con)
    con.execute(
        "update monitoring.pipeline_runs set status = ?, finished_at = coalesce(finished_at, ?), "
        "message = coalesce(message, 'interrupted: the run stopped before it finished "
        "(killed?); a later run found it still running') "
        "where status = ? and run_date <> ?",
        [FAILED, _utc(started_at), RUNNING, run_date],
    )
    con.execute("delete from monitoring.pipeline_runs where run_date = ?", [run_date])
    con.execute("delete from monitoring.pipeline_stages where run_date = ?", [run_date])
    con.execute(
        "insert into monitoring.pipeline_runs (run_date, started_at, status) values (?, ?, ?)",
        [run_date, _utc(started_at), RUNNING],
    )


def record_counts(con: duckdb.DuckDBPyConnection, run_date: date) -> None:
    """(Re)compute ``run_date``'s per-table counts and totals from ``raw._ingested_files``."""
    ensure_monitoring_schema(con)
    con.execute("begin transaction")
    try:
        _replace_counts(con, run_date)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _replace_counts(con: duckdb.DuckDBPyConnection, run_date: date) -> None:
    con.execute("delete from monitoring.pipeline_run_tables where run_date = ?", [run_date])
    con.execute(
        """
        insert into monitoring.pipeline_run_tables
        select ?::date, t.table_name,
            count(f.path),
            count(f.path) filter (where f.status = 'rejected'),
            count(f.path) filter (where f.status = 'duplicate'),
            coalesce(sum(f.rows_delivered), 0),
            coalesce(sum(f.row_count) filter (where f.status in ('loaded', 'replaced')), 0),
            coalesce(sum(f.rows_quarantined) filter (where f.status in ('loaded', 'replaced')), 0),
            coalesce(sum(f.rows_delivered) filter (where f.status in ('rejected', 'withdrawn')), 0),
            coalesce(sum(f.rows_delivered) filter (where f.status = 'duplicate'), 0)
        from (select unnest(?::varchar[]) as table_name) as t
        left join raw._ingested_files as f
            on f.table_name = t.table_name and f.business_date = ?
        group by t.table_name
        order by t.table_name
        """,
        [run_date, list(LANDING_TABLES), run_date],
    )
    con.execute(
        """
        update monitoring.pipeline_runs as r set
            rows_in = t.delivered, rows_out = t.loaded, rows_quarantined = t.quarantined,
            rows_rejected = t.rejected, rows_repeated = t.repeated, files_in = t.files,
            files_rejected = t.files_rejected
        from (
            select sum(rows_delivered) as delivered, sum(rows_loaded) as loaded,
                sum(rows_quarantined) as quarantined, sum(rows_rejected) as rejected,
                sum(rows_repeated) as repeated, sum(files) as files,
                sum(files_rejected) as files_rejected
            from monitoring.pipeline_run_tables where run_date = ?
        ) as t
        where r.run_date = ?
        """,
        [run_date, run_date],
    )


def note_skipped(
    con: duckdb.DuckDBPyConnection, run_date: date, skipped: list[tuple[str, str]]
) -> None:
    """Keep what the landing zone held that is not a delivery (a folder that is not a
    date, a symlink out of the zone, ...) on the run's row, so the reconciliation shows it."""
    ensure_monitoring_schema(con)
    con.execute(
        "update monitoring.pipeline_runs set paths_skipped = ?, skipped = ? where run_date = ?",
        [
            len(skipped),
            "; ".join(f"{path}: {reason}" for path, reason in skipped) or None,
            run_date,
        ],
    )


def note_message(con: duckdb.DuckDBPyConnection, run_date: date, message: str) -> None:
    """Keep ``message`` on the run's row unless it already has one (or it is empty)."""
    if not message:
        return
    ensure_monitoring_schema(con)
    con.execute(
        "update monitoring.pipeline_runs set message = coalesce(message, ?) where run_date = ?",
        [message, run_date],
    )


def note_gate(
    con: duckdb.DuckDBPyConnection, run_date: date, data_docs: str | None, message: str | None
) -> None:
    """Keep the gate's verdict (None when it passed) and the Data Docs path on the run's row."""
    ensure_monitoring_schema(con)
    con.execute(
        "update monitoring.pipeline_runs set data_docs = coalesce(?, data_docs), "
        "message = ? where run_date = ?",
        [data_docs, message, run_date],
    )


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
    row = con.execute(
        "select status from monitoring.pipeline_runs where run_date = ?", [run_date]
    ).fetchone()
    if row is None or (only_if_running and row[0] != RUNNING):
        return None if row is None else row[0]
    con.execute(
        "update monitoring.pipeline_runs set status = ?, finished_at = ?, "
        "message = coalesce(message, ?) where run_date = ?",
        [status, _utc(finished_at), message, run_date],
    )
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
    con.execute(
        "delete from monitoring.pipeline_stages where run_date = ? and stage = ?",
        [run_date, stage],
    )
    con.execute(
        "insert into monitoring.pipeline_stages values (?, ?, ?, ?, ?)",
        [run_date, stage, _utc(finished_at), SKIPPED if skipped else DONE, skipped],
    )


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
