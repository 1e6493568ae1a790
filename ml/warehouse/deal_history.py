"""The deal history the scoring API reads beside a request: a file published with the BI
copy, never opened by BI.

A deal's features (``marts.opportunity_features``) read more than the deal: its earlier
versions (close-date pushes, first amount), its stage periods, its account's activities,
every stage period that ended in the year before (the stages' median days) and every
deal closed before the as-of date (the owner's win rate), each dated by when the
warehouse knew it. The published BI file holds none of those rows (``raw`` and
``staging`` never leave the working file). So each publication also writes
``<published stem>_deal_history.duckdb`` beside it: the raw rows of the tables the deal
mart reads, as ingest loaded them, without a personal column. ``salespipe serve`` runs
the mart's compiled SQL over these rows and the request's (:mod:`ml.serving.deals`),
and reads the file the way it reads the published one: opened read-only for one read
and closed, while publication writes a new file and renames it over the old one.

Personal data (CONTRACT section 4): the lead columns are not here at all, and of
activities only the columns the deal mart reads are kept (no ``subject``, no
``body_text``). An erasure republishes (ml/privacy/steps.py), which rewrites this file.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from ml.contract import LANDING_TABLES, LINEAGE_COLUMNS

# The raw tables the deal mart reads (its compiled SQL names no other), and their
# columns left out: text a rep typed may name a person.
DEAL_HISTORY_TABLES = ("opportunities", "opportunity_stage_history", "accounts", "sales_reps",
                       "activities")  # fmt: skip
LEFT_OUT = {"activities": ("subject", "body_text")}


def deal_history_path(published: Path) -> Path:
    """Where the deal history of the file published at ``published`` lives."""
    return published.with_name(f"{published.stem}_deal_history.duckdb")


def history_columns(table: str) -> tuple[str, ...]:
    """The landing columns of ``table`` the history keeps."""
    return tuple(c for c in LANDING_TABLES[table].columns if c not in LEFT_OUT.get(table, ()))


def publish_deal_history(work: Path, published: Path) -> Path:
    """Copy the deal mart's raw rows of ``work`` into a new file and rename it over
    :func:`deal_history_path` (atomic: a reader opens the old night or the new one).
    A raw table ``work`` lacks is left out (the reader sees no rows)."""
    target = deal_history_path(published)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    try:
        with duckdb.connect() as con:
            con.execute(f"attach '{staging}' as out")
            con.execute(f"attach '{work}' as work (read_only)")
            con.execute("create schema out.raw")
            for table in DEAL_HISTORY_TABLES:
                present = {r[0] for r in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_catalog = 'work' and table_schema = 'raw' and table_name = ?",
                    [table]).fetchall()}  # fmt: skip
                if not present:
                    continue
                wanted = [c for c in history_columns(table) if c in present]
                wanted += [c for c in LINEAGE_COLUMNS if c in present]
                select = ", ".join(f'"{c}"' for c in wanted)
                where = ""
                if table == "activities":  # the mart counts the activities of deals and accounts
                    where = (
                        " where activity_id in (select activity_id from work.raw.activities"
                        " where opportunity_id is not null or account_id is not null)"
                    )
                con.execute(
                    f"create table out.raw.{table} as select {select} from work.raw.{table}{where}"
                )
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)
        Path(f"{staging}.wal").unlink(missing_ok=True)
    return target
