"""Reading the forecasting inputs from the warehouse, and writing ``ml.revenue_forecasts``."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from ml.catalog import write_partition
from ml.warehouse.tables import table_exists

INPUT_QUERIES = {
    "daily_revenue": "select * from marts.daily_revenue",
    "market_indicators_daily": "select * from marts.market_indicators_daily",
    "opportunities": "select * from marts.opportunities",
    "opportunity_stage_history": "select * from marts.opportunity_stage_history",
}


def read_inputs(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """The four marts forecasting reads, as DataFrames."""
    return {name: con.execute(query).df() for name, query in INPUT_QUERIES.items()}


def read_win_probabilities(con: duckdb.DuckDBPyConnection, business_date: date) -> pd.Series | None:
    """Tonight's opportunity win probabilities, once ``ml.opportunity_scores`` exists."""
    if not table_exists(con, "ml", "opportunity_scores"):
        return None
    frame = con.execute(
        "select opportunity_id, win_probability from ml.opportunity_scores where score_date = ?",
        [business_date],
    ).df()
    return frame.set_index("opportunity_id")["win_probability"] if len(frame) else None


def write_forecasts(
    con: duckdb.DuckDBPyConnection, forecasts: pd.DataFrame, forecast_date: date
) -> int:
    """Replace ``forecast_date``'s rows of ``ml.revenue_forecasts``, in one transaction,
    after the table's suite passed (:func:`ml.catalog.write_partition`)."""
    return write_partition(con, "ml.revenue_forecasts", forecasts, {"forecast_date": forecast_date})


def read_past_forecasts(con: duckdb.DuckDBPyConnection, before: date) -> pd.DataFrame:
    """Forecasts issued before ``before`` (for realised forecast performance)."""
    if not table_exists(con, "ml", "revenue_forecasts"):
        return pd.DataFrame()
    return con.execute("select * from ml.revenue_forecasts where forecast_date < ?", [before]).df()
