"""The reads of the pipeline marts that deal scoring's steps make (and nothing else)."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from ml.opportunity_scoring.features import labelled_snapshots


def read_open_deals(con: duckdb.DuckDBPyConnection, business_date: date) -> pd.DataFrame:
    """The deals open at the end of ``business_date``: its rows of
    ``marts.opportunity_features``, ordered by id."""
    return con.execute(
        "select * from marts.opportunity_features where as_of_date = ? order by opportunity_id",
        [business_date],
    ).df()


def read_outcomes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``marts.opportunity_outcomes`` (one row per deal, as of the night's build)."""
    return con.execute(
        "select opportunity_id, created_at, outcome, closed_on, "
        "amount_in_default_currency from marts.opportunity_outcomes"
    ).df()


def read_labelled_rows(
    con: duckdb.DuckDBPyConnection, business_date: date, maturity_days: int
) -> pd.DataFrame:
    """Snapshots of mature deals up to ``business_date`` with their labels
    (:func:`ml.opportunity_scoring.features.labelled_snapshots`)."""
    features = con.execute(
        "select features.* from marts.opportunity_features as features "
        "where as_of_date <= ? and created_at < ?::date - ?::int",
        [business_date, business_date, maturity_days],
    ).df()
    return labelled_snapshots(features, read_outcomes(con), business_date, maturity_days)
