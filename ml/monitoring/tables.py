"""The monitoring tables the drift stage writes, each replaced per run date and model.

- ``monitoring.drift`` (CONTRACT §3): one row per run, model and feature (and one for
  the model's predictions, ``feature = 'prediction'``), with the test used.
- ``monitoring.drift_runs``: one row per run and model: the share of drifted features,
  the prediction drift, realised and promotion AUC, the alerts, whether retraining was
  requested or held back by the cooldown, and the HTML report's path.
- ``monitoring.model_performance``: realised performance over time, one row per model and
  score date whose labels have matured (re-computed as outcomes arrive).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from ml.warehouse.tables import replace_rows, transaction

_DDL = {
    "drift": """
        run_date date, model_name varchar, model_version varchar, feature varchar,
        drift_score double, threshold double, drifted boolean, stattest varchar,
        kind varchar, reference_rows bigint, current_rows bigint, note varchar
    """,
    "drift_runs": """
        run_date date, model_name varchar, model_version varchar, features bigint,
        drifted_features bigint, share_drifted double, share_threshold double,
        prediction_drift_score double, prediction_drifted boolean, realised_auc double,
        realised_score_date date, promotion_auc double, alerts varchar,
        retraining_requested boolean, suppressed_by_cooldown boolean, report_path varchar,
        note varchar
    """,
    "model_performance": """
        model_name varchar, model_version varchar, score_date date, evaluated_on date,
        label_window_days integer, rows bigint, positives bigint, roc_auc double,
        pr_auc double, log_loss double, brier double, expected_calibration_error double,
        top_decile_lift double, rows_excluded bigint
    """,
}


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists monitoring")
    for name, columns in _DDL.items():
        con.execute(f"create table if not exists monitoring.{name} ({columns})")


def write_night(
    con: duckdb.DuckDBPyConnection,
    *,
    run_date: date,
    model_name: str,
    drift: pd.DataFrame,
    run: dict,
    performance: pd.DataFrame,
) -> None:
    """Replace the night's rows of all three tables in one transaction."""
    ensure_tables(con)
    night = "run_date = ? and model_name = ?"
    with transaction(con):
        replace_rows(con, "monitoring.drift", drift, night, [run_date, model_name])
        replace_rows(
            con, "monitoring.drift_runs", pd.DataFrame([run]), night, [run_date, model_name]
        )
        if not performance.empty:
            replace_rows(
                con, "monitoring.model_performance", performance,
                "model_name = ? and score_date in (select unnest(?::date[]))",
                [model_name, list(performance["score_date"])],
            )  # fmt: skip


def last_retraining_requested(
    con: duckdb.DuckDBPyConnection, model_name: str, before: date
) -> date | None:
    """The last run date before ``before`` that requested a retraining of the model."""
    ensure_tables(con)
    return con.execute(
        "select max(run_date) from monitoring.drift_runs where model_name = ? "
        "and retraining_requested and run_date < ?",
        [model_name, before],
    ).fetchone()[0]
