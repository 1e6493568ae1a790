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

from ml.catalog import Write, ensure_table, write_partitions

DRIFT, DRIFT_RUNS, MODEL_PERFORMANCE = (
    "monitoring.drift", "monitoring.drift_runs", "monitoring.model_performance",
)  # fmt: skip


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the three tables from their declarations (ml.catalog) if missing."""
    for name in (DRIFT, DRIFT_RUNS, MODEL_PERFORMANCE):
        ensure_table(con, name)


def write_night(
    con: duckdb.DuckDBPyConnection,
    *,
    run_date: date,
    model_name: str,
    drift: pd.DataFrame,
    run: dict,
    performance: pd.DataFrame,
) -> None:
    """Replace the night's rows of all three tables in one transaction, through the catalog."""
    ensure_tables(con)
    night = {"run_date": run_date, "model_name": model_name}
    writes = [Write(DRIFT, drift, night), Write(DRIFT_RUNS, pd.DataFrame([run]), night)]
    if not performance.empty:
        score_dates = sorted(set(performance["score_date"]))
        writes.append(
            Write(MODEL_PERFORMANCE, performance,
                  {"model_name": model_name, "score_date": score_dates})
        )  # fmt: skip
    write_partitions(con, writes)


def last_retraining_requested(
    con: duckdb.DuckDBPyConnection, model_name: str, before: date
) -> date | None:
    """The last run date before ``before`` that requested a retraining of the model."""
    ensure_tables(con)
    return con.execute(
        "select max(run_date) from monitoring.drift_runs where model_name = ? "
        "and retraining_requested and run_date < ?",
        [model_name, before],
    ).fetchall()[0][0]
