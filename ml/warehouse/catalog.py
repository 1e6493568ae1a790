"""What every published table, view and column means: the descriptions BI tools show.

The published file (:mod:`ml.warehouse.publish`) carries a DuckDB ``COMMENT`` on every
table, view and column, so a BI tool's schema browser explains what it holds:

- ``marts.*``: dbt's yml descriptions, which dbt writes into the working warehouse as
  comments (``persist_docs``) and :func:`describe_published` copies over;
- ``ml.*`` and ``monitoring.*``: their declarations in :mod:`ml.catalog` (with their
  columns' types, grain and suite); ``meta.*``: declared here;
- custom CRM fields (``attr_*``), whose names only the data knows: a generic description;
- the views of :data:`VIEWS`, made for BI: one row per open lead tonight with its score
  and the lead's, owner's and account's attributes, so nobody needs a two-key join.

:func:`undocumented` lists what still lacks a description; the tests keep it empty.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import duckdb

from ml.catalog import TABLES as DECLARED

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableDoc:
    """A table's description and its columns' descriptions."""

    description: str
    columns: dict[str, str] = field(default_factory=dict)


# ml.* and monitoring.* are declared once, with their columns and types, in ml.catalog;
# meta.* exists only in the published file.
TABLES: dict[str, TableDoc] = {
    name: TableDoc(table.description, table.column_docs)
    for name, table in DECLARED.items()
    if table.schema in ("ml", "monitoring")
}
TABLES["meta.publication"] = TableDoc(
    "Which night this file shows: one row.",
    {
        "business_date": "The business date the published tables are as of.",
        "published_at": "When this file was published (UTC).",
        "status": "complete: only a night whose every stage finished is published.",
        "run_id": "The run that published it (its log folder under logs/runs).",
    },
)

_CUSTOM_FIELD = "Custom CRM field {name!r} of the lead (attr_* in the landing zone), as text."

# Views for BI, with their columns' descriptions. Each is created when its tables exist.
CURRENT_LEAD_SCORES_SQL = """
    select
        scores.lead_id,
        scores.score_date,
        scores.conversion_probability,
        scores.score,
        scores.percentile,
        scores.grade,
        scores.is_stale,
        scores.top_factors,
        features.created_at as lead_created_at,
        features.lead_age_days,
        features.days_since_last_activity,
        features.activities_total,
        features.activities_last_14_days,
        features.source,
        features.status,
        features.title_seniority,
        features.company_size_band,
        features.employees,
        features.industry,
        features.country,{custom_fields}
        features.owner_rep_id,
        reps.rep_name as owner_rep_name,
        reps.team as owner_rep_team,
        reps.region as owner_rep_region,
        reps.manager_name as owner_manager_name,
        features.account_id,
        accounts.account_name,
        accounts.industry as account_industry,
        accounts.region as account_region,
        scores.model_name,
        scores.model_version,
        scores.scoring_method,
        scores.scored_at
    from ml.lead_scores as scores
    inner join meta.publication
        on scores.score_date = publication.business_date
    left join marts.lead_features as features
        on scores.lead_id = features.lead_id and scores.score_date = features.as_of_date
    left join marts.sales_reps as reps
        on features.owner_rep_id = reps.rep_id
    left join marts.accounts as accounts
        on features.account_id = accounts.account_id
"""


@dataclass(frozen=True)
class ViewDoc:
    """A view's SQL, the tables it needs, and its descriptions (columns not listed take
    the description of the same-named column of the table in ``borrows``)."""

    sql: str
    needs: tuple[str, ...]
    description: str
    columns: dict[str, str]
    borrows: tuple[str, ...]


VIEWS: dict[str, ViewDoc] = {
    "ml.current_lead_scores": ViewDoc(
        CURRENT_LEAD_SCORES_SQL,
        ("ml.lead_scores", "marts.lead_features", "marts.sales_reps", "marts.accounts"),
        "Tonight's lead scores, one row per lead open on the published business date, with "
        "the lead's, its owner's and its account's attributes: start here for a call list "
        "(filter is_stale = false, order by score desc).",
        {
            "lead_created_at": "When the lead was created (UTC).",
            "owner_rep_name": "Name of the rep owning the lead.",
            "owner_rep_team": "Team of the rep owning the lead.",
            "owner_rep_region": "Region of the rep owning the lead.",
            "owner_manager_name": "Name of the owning rep's manager.",
            "account_name": "Company name of the lead's account.",
            "account_industry": "Industry of the lead's account.",
            "account_region": "Sales region of the lead's account.",
        },
        ("ml.lead_scores", "marts.lead_features"),
    ),
}


def describe_published(con: duckdb.DuckDBPyConnection, catalog: str, source: str) -> None:
    """Make the copied tables of ``catalog`` ready for BI: counts as BIGINT, a comment on
    every table and column, and the BI views.

    HUGEINT (what a SQL ``sum`` of integers gives) is narrowed to BIGINT, because many
    ODBC/JDBC drivers cannot read it; a value beyond BIGINT fails the publish loudly.

    ``source`` is the attached working warehouse the tables were copied from: its
    comments (dbt's descriptions of the marts) are carried over first, then
    :data:`TABLES` and the generic description of custom fields apply.
    """
    tables = _tables(con, catalog)
    for schema, table, column in con.execute(
        "select schema_name, table_name, column_name from duckdb_columns() "
        "where database_name = ? and data_type = 'HUGEINT'",
        [catalog],
    ).fetchall():
        con.execute(
            f'alter table "{catalog}"."{schema}"."{table}" alter column "{column}" type bigint'
        )
    for (schema, table), comment in _comments(con, source, tables).items():
        _comment(con, catalog, schema, table, None, comment)
    for (schema, table, column), comment in _column_comments(con, source, tables).items():
        _comment(con, catalog, schema, table, column, comment)
    for name, doc in TABLES.items():
        schema, table = name.split(".")
        if (schema, table) not in tables:
            continue
        _comment(con, catalog, schema, table, None, doc.description)
        for column in _columns(con, catalog, schema, table):
            if column in doc.columns:
                _comment(con, catalog, schema, table, column, doc.columns[column])
    for schema, table in tables:
        for column in _columns(con, catalog, schema, table):
            if column.startswith("attr_"):
                _comment(con, catalog, schema, table, column, _CUSTOM_FIELD.format(name=column))
    for name, view in VIEWS.items():
        if all(tuple(n.split(".")) in tables for n in view.needs):
            _create_view(con, catalog, name, view)
    missing = undocumented(con, catalog)
    if missing:
        log.warning("published without a description: %s", ", ".join(missing))


def undocumented(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    """Every table, view (``schema.name``) and column (``schema.name.column``) of
    ``catalog`` without a description."""
    relations = con.execute(
        """
        select schema_name || '.' || table_name from duckdb_tables()
        where database_name = ? and not internal and coalesce(comment, '') = ''
        union all
        select schema_name || '.' || view_name from duckdb_views()
        where database_name = ? and not internal and coalesce(comment, '') = ''
        """,
        [catalog, catalog],
    ).fetchall()
    columns = con.execute(
        """
        select schema_name || '.' || table_name || '.' || column_name from duckdb_columns()
        where database_name = ? and not internal and coalesce(comment, '') = ''
        """,
        [catalog],
    ).fetchall()
    return sorted(r[0] for r in relations + columns)


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[tuple[str, str]]:
    return set(
        con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = ? and not internal",
            [catalog],
        ).fetchall()
    )


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select column_name from duckdb_columns() where database_name = ? "
            "and schema_name = ? and table_name = ? order by column_index",
            [catalog, schema, table],
        ).fetchall()
    ]


def _comments(con, source: str, tables: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    rows = con.execute(
        "select schema_name, table_name, comment from duckdb_tables() "
        "where database_name = ? and coalesce(comment, '') <> ''",
        [source],
    ).fetchall()
    return {(s, t): c for s, t, c in rows if (s, t) in tables}


def _column_comments(
    con, source: str, tables: set[tuple[str, str]]
) -> dict[tuple[str, str, str], str]:
    rows = con.execute(
        "select schema_name, table_name, column_name, comment from duckdb_columns() "
        "where database_name = ? and coalesce(comment, '') <> ''",
        [source],
    ).fetchall()
    return {(s, t, col): c for s, t, col, c in rows if (s, t) in tables}


def _create_view(con: duckdb.DuckDBPyConnection, catalog: str, name: str, view: ViewDoc) -> None:
    schema, table = name.split(".")
    # The lead's custom fields, which only the data names, follow its fixed attributes.
    custom = [c for c in _columns(con, catalog, "marts", "lead_features") if c.startswith("attr_")]
    sql = view.sql.format(custom_fields="".join(f'\n        features."{c}",' for c in custom))
    # The view's SQL names its tables without a catalog, so it resolves in whichever
    # file a reader opens; create it with that file as the default catalog.
    previous = con.execute("select current_database()").fetchone()[0]
    con.execute(f'use "{catalog}"')
    try:
        con.execute(f'create or replace view "{schema}"."{table}" as {sql}')
    finally:
        con.execute(f'use "{previous}"')
    _comment(con, catalog, schema, table, None, view.description, kind="view")
    borrowed: dict[str, str] = {}
    for source in view.borrows:
        source_schema, source_table = source.split(".")
        borrowed.update(
            {
                column: comment
                for column, comment in con.execute(
                    "select column_name, comment from duckdb_columns() where database_name = ? "
                    "and schema_name = ? and table_name = ? and coalesce(comment, '') <> ''",
                    [catalog, source_schema, source_table],
                ).fetchall()
                if column not in borrowed
            }
        )
    for column in _columns(con, catalog, schema, table):
        comment = view.columns.get(column) or borrowed.get(column)
        if comment:
            _comment(con, catalog, schema, table, column, comment)


def _comment(
    con: duckdb.DuckDBPyConnection,
    catalog: str,
    schema: str,
    table: str,
    column: str | None,
    comment: str,
    kind: str = "table",
) -> None:
    target = f'"{catalog}"."{schema}"."{table}"'
    what = f'column {target}."{column}"' if column else f"{kind} {target}"
    con.execute(f"comment on {what} is '{_quote(comment)}'")


def _quote(text: str) -> str:
    return " ".join(text.split()).replace("'", "''")
