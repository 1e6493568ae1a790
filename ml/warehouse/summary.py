"""What a published night holds, read for ``salespipe run`` and ``salespipe demo`` to print.

The published file is opened once, read-only, and every figure the run summary shows is
read in that one connection. Tables a night did not write (a leads-only export has no
forecasts) read as None, so the summary leaves their part out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from ml import names
from ml.warehouse.pipeline_summary import (
    Waterfall,
    WeightedPeriod,
    all_rows,
    first_row,
    read_deals_at_risk,
    read_waterfall,
    read_weighted_pipeline,
)
from ml.warehouse.runs import skipped_stage_lines


@dataclass(frozen=True)
class NightSummary:
    """One published night: its tables and counts, its run, its scores and forecasts."""

    business_date: date
    table_rows: list[tuple[str, int]]  # ("schema.table", rows), in name order
    run: tuple | None  # rows in, out, quarantined, rejected, repeated; data docs
    skipped: list[str]  # "forecasting skipped: <reason>", one per skipped stage
    lead_grades: list[tuple] | None  # (grade or 'stale', count, model, version, method)
    drift: tuple | None  # the lead model's monitoring.drift_runs row of the night
    forecast_totals: list[tuple] | None  # per grain: sums of the 'total' segment
    forecast_segments: int
    # the deal part (ml.warehouse.pipeline_summary); None: the night has no such table
    deals_at_risk: list[tuple] | None = None
    waterfall: Waterfall | None = None
    weighted_pipeline: list[WeightedPeriod] | None = None


def read_night_summary(published: Path) -> NightSummary:
    """Read the published warehouse at ``published`` in one read-only connection."""
    with duckdb.connect(str(published), read_only=True) as con:
        business_date = _value(con, "select business_date from meta.publication")
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema <> 'meta' order by 1, 2"
        ).fetchall()
        table_rows = [
            (f"{schema}.{name}", _value(con, f'select count(*) from "{schema}"."{name}"'))
            for schema, name in tables
        ]
        run = first_row(
            con,
            "select rows_in, rows_out, rows_quarantined, rows_rejected, rows_repeated, "
            "data_docs from monitoring.pipeline_runs where run_date = ?",
            [business_date],
        )
        lead_grades = all_rows(
            con,
            "select coalesce(grade, 'stale'), count(*), any_value(model_name), "
            "any_value(model_version), any_value(scoring_method) from ml.lead_scores "
            "where score_date = ? group by grade order by grade nulls last",
            [business_date],
        )
        drift = first_row(
            con,
            "select drifted_features, features, prediction_drift_score, alerts, "
            "retraining_requested, suppressed_by_cooldown, report_path, note "
            "from monitoring.drift_runs where run_date = ? and model_name = ?",
            [business_date, names.LEAD_SCORING],
        )
        forecast_totals = all_rows(
            con,
            "select grain, sum(forecast), sum(lower), sum(upper), sum(existing_pipeline), "
            "count(distinct segment), any_value(model_version), any_value(model_alias) "
            "from ml.revenue_forecasts where forecast_date = ? and segment = 'total' "
            "group by grain order by grain desc",
            [business_date],
        )
        segments = first_row(
            con,
            "select count(distinct segment) from ml.revenue_forecasts where forecast_date = ?",
            [business_date],
        )
        skipped = skipped_stage_lines(con, business_date)
        deals_at_risk = read_deals_at_risk(con, business_date)
        waterfall = read_waterfall(con, business_date)
        weighted = read_weighted_pipeline(con, business_date)
    return NightSummary(
        business_date, table_rows, run, skipped, lead_grades, drift, forecast_totals,
        segments[0] if segments else 0, deals_at_risk, waterfall, weighted,
    )  # fmt: skip


def recorded_failure(work_warehouse: Path, business_date: date) -> str | None:
    """The message a failed run of ``business_date`` left in monitoring.pipeline_runs of
    the working warehouse, if any (None too when there is no such file or table)."""
    if not work_warehouse.exists():
        return None
    with duckdb.connect(str(work_warehouse), read_only=True) as con:
        row = first_row(
            con,
            "select message from monitoring.pipeline_runs where run_date = ? and status = 'failed'",
            [business_date],
        )
    return row[0] if row else None


def _value(con: duckdb.DuckDBPyConnection, sql: str):
    """The one value of a query that always returns one row."""
    row = con.execute(sql).fetchone()
    if row is None:
        raise ValueError(f"no row from {sql!r} in the published warehouse")
    return row[0]
