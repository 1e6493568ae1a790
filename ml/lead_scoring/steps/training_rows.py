"""The train step's reads: the labelled rows a training learns from (snapshots of leads
whose label window has closed, or each lead's final state) and the leakage columns a
mapping marked."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from ml.contract import final_state_tables, landing_marker
from ml.lead_scoring.config import LeadScoringConfig
from ml.lead_scoring.features import final_state_rows, labelled_snapshots

log = logging.getLogger(__name__)

_FEATURES = "select * from marts.lead_features"


def read_training_snapshots(
    con: duckdb.DuckDBPyConnection, business_date: date, window_days: int, max_rows: int, seed: int
) -> pd.DataFrame:
    """Snapshots of leads whose label window has closed by ``business_date``, with
    ``converted_at`` from ``lead_outcomes``.

    Above ``max_rows`` snapshots, a deterministic sample of whole leads (by a seeded hash
    of the lead id) keeps memory flat at millions of leads.
    """
    mature = f"""
        select features.*, outcomes.converted_at
        from ({_FEATURES}) as features
        inner join marts.lead_outcomes as outcomes using (lead_id)
        where features.created_at + to_days(cast(? as integer)) < cast(? as date) + interval 1 day
    """
    params = [window_days, business_date]
    rows = con.execute(f"select count(*) from ({mature})", params).fetchone()[0]
    if rows > max_rows:
        keep = max_rows / rows
        log.info(
            "training on a %.0f%% sample of leads (%s snapshots in all)", keep * 100, f"{rows:,}"
        )
        query = f"select * from ({mature}) where hash(lead_id || ?) % 1000000 < ?"
        params = [*params, str(seed), int(keep * 1_000_000)]
    else:
        query = mature
    return con.execute(query, params).df()


def read_labelled_rows(
    con: duckdb.DuckDBPyConnection, landing: Path, business_date: date, config: LeadScoringConfig
) -> tuple[pd.DataFrame, bool]:
    """The labelled training rows known by ``business_date``, and whether they are final
    states: each lead once, as it ended, for a landing zone whose leads are an export of
    outcomes (``final_state: true`` in its mapping); else snapshots of open leads whose
    label window has closed (``features.labelled_snapshots``)."""
    if "leads" in final_state_tables(landing):
        states = read_final_states(con)
        return final_state_rows(states, business_date, config.label_window_days), True
    snapshots = read_training_snapshots(
        con, business_date, config.label_window_days, config.max_training_rows, config.seed
    )
    outcomes = snapshots[["lead_id", "converted_at"]].drop_duplicates("lead_id")
    rows = labelled_snapshots(snapshots, outcomes, business_date, config.label_window_days)
    return rows, False


def read_leakage_columns(landing: Path) -> set[str]:
    """Lead columns a mapping marked as leakage (``<landing>/_mapping.json``), if any."""
    return set(landing_marker(landing).get("leakage_columns", {}).get("leads", []))


def read_final_states(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every lead's final state (``marts.lead_final_states``) with ``converted_at``: the
    training rows of an export of outcomes, one per lead."""
    return con.execute(
        """
        select states.*, outcomes.converted_at
        from marts.lead_final_states as states
        inner join marts.lead_outcomes as outcomes using (lead_id)
        order by states.created_at, states.lead_id
        """
    ).df()
