"""What GX validates for a raw table: the delivery profile, one row per file a run processed.

Validating ten million raw rows in GX's pandas engine would take minutes, so the row
rules run in DuckDB while the files load (:mod:`ml.quality.rules`) and GX validates
what came of them: per file, how many rows broke each rule, whether the file was
refused and why, and whether its counts reconcile with what the tables hold. The
profile carries no row values, so Data Docs never show personal data.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pandas as pd

from ml.quality.rules import all_rule_names
from ml.quality.specs import RawSuite

QUARANTINE_SCHEMA = "quarantine"  # declared in ml.catalog, which quality never imports

INDEX_COLUMN = "source_file"
_REFUSALS = {
    "unreadable": "a file that cannot be read (encoding, quotes, header, Parquet types) is refused",
    "missing_required_columns": "a file without every required column is refused",
    "key_null_in_every_row": "a file whose key is empty in every row is refused",
}


def delivery_profile(
    con: duckdb.DuckDBPyConnection, suite: RawSuite, business_date: date
) -> pd.DataFrame:
    """One row per file of ``suite``'s table processed for ``business_date``.

    Columns: the file, its status and row counts from ``raw._ingested_files``; the rows
    of the file actually found in raw and in quarantine; the refusal reasons (empty
    when none); and one column per rule with the number of rows that broke it.
    """
    table = suite.contract.name
    files = con.execute(
        f"""
        with files as (
            select * from raw._ingested_files where table_name = ? and business_date = ?
        ),
        in_raw as (
            select _source_file as path, count(*) as n from raw.{table}
            where _source_file in (select path from files) group by 1
        ),
        in_quarantine as (
            select _source_file as path, count(*) as n from {QUARANTINE_SCHEMA}.{table}
            where _source_file in (select path from files) group by 1
        )
        select
            path as {INDEX_COLUMN},
            cast(delivery_date as varchar) as delivery_date,
            status,
            coalesce(rows_delivered, 0) as rows_delivered,
            if(status in ('loaded', 'replaced'), row_count, 0) as rows_loaded,
            if(status in ('loaded', 'replaced'), coalesce(rows_quarantined, 0), 0)
                as rows_quarantined,
            if(status in ('rejected', 'withdrawn'), coalesce(rows_delivered, 0), 0)
                as rows_rejected,
            if(status = 'duplicate', coalesce(rows_delivered, 0), 0) as rows_repeated,
            coalesce(in_raw.n, 0) as rows_in_raw,
            coalesce(in_quarantine.n, 0) as rows_in_quarantine,
            -- a withdrawn file (removed from the landing zone) no longer stops the night
            if(status = 'rejected' and problem = 'unreadable', reason, '') as unreadable,
            if(status = 'rejected' and problem = 'missing_columns', reason, '')
                as missing_required_columns,
            if(status = 'rejected' and problem = 'key_null_everywhere', reason, '')
                as key_null_in_every_row,
            coalesce(unexpected_columns, '') as unexpected_columns
        from files
        left join in_raw using (path)
        left join in_quarantine using (path)
        order by path
        """,
        [table, business_date],
    ).df()
    files["rows_unaccounted"] = files["rows_delivered"] - files[
        ["rows_loaded", "rows_quarantined", "rows_rejected", "rows_repeated"]
    ].sum(axis=1)
    broken = con.execute(
        "select r.path, r.rule, r.rows from raw._ingested_file_rules as r "
        "join raw._ingested_files as f using (path) where f.table_name = ? and f.business_date = ?",
        [table, business_date],
    ).fetchall()
    for rule, _, _ in all_rule_names(suite):
        counts = {path: rows for path, name, rows in broken if name == rule}
        files[rule] = files[INDEX_COLUMN].map(counts).fillna(0).astype("int64")
    return files.astype({c: "int64" for c in files.columns if c.startswith("rows_")})


def profile_expectations(suite: RawSuite) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """The GX expectations on a delivery profile, with severity and a note for Data Docs."""
    table = suite.contract.name
    expectations: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        (
            "expect_column_values_to_be_in_set",
            {"column": column, "value_set": [""]},
            {"severity": "table", "notes": note},
        )
        for column, note in _REFUSALS.items()
    ]
    expectations += [
        (
            "expect_column_values_to_be_between",
            {"column": "rows_unaccounted", "min_value": 0, "max_value": 0},
            {
                "severity": "table",
                "notes": "rows delivered = loaded + quarantined + in rejected files + repeated",
            },
        ),
        (
            "expect_column_pair_values_to_be_equal",
            {"column_A": "rows_loaded", "column_B": "rows_in_raw"},
            {"severity": "table", "notes": f"the rows counted as loaded are in raw.{table}"},
        ),
        (
            "expect_column_pair_values_to_be_equal",
            {"column_A": "rows_quarantined", "column_B": "rows_in_quarantine"},
            {
                "severity": "table",
                "notes": f"the rows counted as quarantined are in quarantine.{table}",
            },
        ),
        (
            "expect_column_values_to_be_in_set",
            {"column": "unexpected_columns", "value_set": [""]},
            {"severity": "warn", "notes": "columns the contract does not name are kept as text"},
        ),
    ]
    # A row rule is not a gate on the table: its rows were quarantined (or, for warn,
    # loaded and counted) and the night goes on. So in GX its expectation only counts
    # them (the observed sum is the count; any count passes), and Data Docs show a
    # passing night as passing. The count is reported from the outcome
    # (ml.quality.outcomes: a rule with rows is "reported", never "failed").
    for rule, severity, description in all_rule_names(suite):
        what = "rows quarantined" if severity == "row" else "rows loaded, counted"
        expectations.append(
            (
                "expect_column_sum_to_be_between",
                {"column": rule, "min_value": 0, "max_value": None},
                {
                    "severity": severity,
                    "rule": rule,
                    "notes": f"{description}; the observed value is the number of {what}",
                },
            )
        )
    return expectations
