"""Finding a person in the warehouse and erasing their rows from one table: the
warehouse side of an erasure (:mod:`ml.privacy.steps`).

Every ``ml``/``monitoring``/``quarantine`` table is changed through the catalog's
:func:`~ml.catalog.erase_rows`; in ``raw`` an erased row becomes a quarantined row with
the rule ``erased`` and no values, so the delivered-rows reconciliation still adds up.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from ml.catalog import append_select, erase_rows
from ml.catalog.writer import OUTPUT_SCHEMAS
from ml.privacy import plan
from ml.privacy.identifiers import hash_sql
from ml.privacy.suppression import ERASED_RULE

_BLANK_DETAIL = "an erased person: no values kept"
# Columns a quarantined row keeps after erasure: where it came from and why it is there.
_KEPT_IN_QUARANTINE = ("_delivery_date", "_source_file", "_source_row", "_loaded_at",
                       "_rules", "_detail", "_business_date")  # fmt: skip


def base_table_columns(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[str]]:
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in con.execute(
        """
        select c.table_schema, c.table_name, c.column_name
        from information_schema.columns as c
        join information_schema.tables as t using (table_catalog, table_schema, table_name)
        where t.table_type = 'BASE TABLE' and c.table_catalog = current_database()
          and c.table_schema not in ('privacy', 'information_schema', 'pg_catalog')
        order by c.table_schema, c.table_name, c.ordinal_position
        """
    ).fetchall():
        columns.setdefault((schema, table), []).append(column)
    return columns


def leads_with_emails(con, key: str, email_hashes: Sequence[str]) -> set[str]:
    """Lead ids whose email has one of these keyed hashes, in raw and quarantine."""
    if not email_hashes:
        return set()
    found: set[str] = set()
    for table in ("raw.leads", "quarantine.leads"):
        if _has_columns(con, table, ("lead_id", "email")):
            found |= {
                row[0]
                for row in con.execute(
                    f"select distinct lead_id from {table} where lead_id is not null "
                    f"and {hash_sql('email')} in (select unnest(?::varchar[]))",
                    [key, list(email_hashes)],
                ).fetchall()
            }
    return found


def email_hashes_of(con, key: str, lead_ids: Sequence[str]) -> set[str]:
    """The keyed hashes of every email these leads were delivered with."""
    hashes: set[str] = set()
    for table in ("raw.leads", "quarantine.leads"):
        if lead_ids and _has_columns(con, table, ("lead_id", "email")):
            hashes |= {
                row[0]
                for row in con.execute(
                    f"select distinct {hash_sql('email')} from {table} "
                    "where lead_id in (select unnest(?::varchar[])) "
                    "and nullif(trim(email), '') is not null",
                    [key, list(lead_ids)],
                ).fetchall()
            }
    return hashes


def _has_columns(con, table: str, names: Sequence[str]) -> bool:
    schema, name = table.split(".")
    present = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    }
    return set(names) <= present


def erase_from_table(
    con: duckdb.DuckDBPyConnection, action: plan.TableAction, where: str, params: list
):
    """Erase the person's rows of one table: every ``ml``/``monitoring``/``quarantine``
    table through the catalog's :func:`erase_rows`; raw (ingest's layer) and the layers dbt
    rebuilds here."""
    table = action.name
    if action.action == plan.UNLINK and action.schema in OUTPUT_SCHEMAS:
        erase_rows(con, table, where, params, null_columns=["lead_id"])
    elif action.action == plan.UNLINK:
        con.execute(f"update {table} set lead_id = null where {where}", params)
    elif action.schema == "raw":
        # A delivered row stays accounted for: it becomes an 'erased' quarantined row
        # holding only where it came from, and its file's counts move with it.
        con.execute(
            f"create or replace temp table erased_lineage as "
            f"select _delivery_date, _source_file, _source_row, _loaded_at from {table} "
            f"where {where}",
            params,
        )
        append_select(
            con, f"quarantine.{action.table}",
            f"select e.*, ['{ERASED_RULE}'] as _rules, '{_BLANK_DETAIL}' as _detail, "
            "f.business_date as _business_date from erased_lineage as e "
            "left join raw._ingested_files as f on f.path = e._source_file",
        )  # fmt: skip
        con.execute(
            "update raw._ingested_files as f set row_count = f.row_count - e.n, "
            "rows_quarantined = coalesce(f.rows_quarantined, 0) + e.n "
            "from (select _source_file, count(*) as n from erased_lineage group by 1) as e "
            "where f.path = e._source_file"
        )
        con.execute(
            "insert into raw._ingested_file_rules select _source_file, ?, count(*) "
            "from erased_lineage group by 1",
            [ERASED_RULE],
        )
        con.execute(f"delete from {table} where {where}", params)
        con.execute("drop table erased_lineage")
    elif action.schema == "quarantine":
        columns = [
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'quarantine' and table_name = ?",
                [action.table],
            ).fetchall()
            if row[0] not in _KEPT_IN_QUARANTINE
        ]
        erase_rows(
            con, table, where, params, null_columns=columns,
            assignments={
                "_detail": f"'{_BLANK_DETAIL}'",
                "_rules": f"case when list_contains(_rules, '{ERASED_RULE}') then _rules "
                f"else list_append(_rules, '{ERASED_RULE}') end",
            },
        )  # fmt: skip
    elif action.schema in OUTPUT_SCHEMAS:
        erase_rows(con, table, where, params)
    else:  # raw (ingest's) and the layers dbt rebuilds
        con.execute(f"delete from {table} where {where}", params)
