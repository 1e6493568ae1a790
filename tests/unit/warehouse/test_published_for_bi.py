"""The published file is ready for a BI tool: DuckDB 1.4 LTS opens it, every table and
column has a description, counts are BIGINT, and a view gives tonight's scores with the
lead's, owner's and account's attributes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from ml.warehouse.catalog import TABLES, undocumented
from ml.warehouse.publish import publish_warehouse

TONIGHT = date(2024, 7, 18)


def build_work(path: Path) -> None:
    """A small working warehouse: marts as dbt leaves them (with comments), two nights of
    scores, and a custom field."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema ml; create schema raw")
        con.execute(
            """
            create table marts.lead_features as
            select * from (values
                ('L1', date '2024-07-18', timestamp '2024-07-01', 17, 2,
                 3::hugeint, 1::hugeint, 'web', 'open', 'vp', 'mid', 120, 'saas',
                 'DE', 'R1', 'A1', 'yes'),
                ('L2', date '2024-07-18', timestamp '2024-05-01', 78, null,
                 0::hugeint, 0::hugeint, 'event', 'working', 'ic', 'small', 8, 'retail',
                 'FR', 'R2', 'A2', null),
                ('L1', date '2024-07-14', timestamp '2024-07-01', 13, 1,
                 2::hugeint, 1::hugeint, 'web', 'open', 'vp', 'mid', 120, 'saas',
                 'DE', 'R1', 'A1', 'yes')
            ) as t(lead_id, as_of_date, created_at, lead_age_days, days_since_last_activity,
                   activities_total, activities_last_14_days, source, status,
                   title_seniority, company_size_band, employees, industry, country,
                   owner_rep_id, account_id, attr_budget_confirmed)
            """
        )
        con.execute(
            "create table marts.sales_reps as select * from (values "
            "('R1', 'Ann Rep', 'inbound', 'EMEA', null, null), "
            "('R2', 'Bob Rep', 'outbound', 'EMEA', 'R1', 'Ann Rep')) "
            "as t(rep_id, rep_name, team, region, manager_id, manager_name)"
        )
        con.execute(
            "create table marts.accounts as select * from (values "
            "('A1', 'Acme', 'saas', 'EMEA'), ('A2', 'Bolt', 'retail', 'EMEA')) "
            "as t(account_id, account_name, industry, region)"
        )
        # what dbt's persist_docs leaves on the marts
        for table in ("lead_features", "sales_reps", "accounts"):
            con.execute(f"comment on table marts.{table} is 'the {table} mart'")
            for (column,) in con.execute(
                "select column_name from duckdb_columns() where table_name = ? "
                "and column_name not like 'attr_%'",
                [table],
            ).fetchall():
                con.execute(f"comment on column marts.{table}.{column} is 'about {column}'")
        con.execute(
            """
            create table ml.lead_scores as select * from (values
                ('L1', date '2024-07-18', 0.4, 40, 100.0, 'A', false, '{}'),
                ('L2', date '2024-07-18', 0.1, 10, null, null, true, '{}'),
                ('L1', date '2024-07-14', 0.3, 30, 100.0, 'A', false, '{}')
            ) as t(lead_id, score_date, conversion_probability, score, percentile, grade,
                   is_stale, top_factors)
            """
        )
        con.execute(
            "alter table ml.lead_scores add column model_name varchar default 'lead_scoring'; "
            "alter table ml.lead_scores add column model_version varchar default '1'; "
            "alter table ml.lead_scores add column scoring_method varchar default 'model'; "
            "alter table ml.lead_scores add column scored_at timestamp "
            "default timestamp '2024-07-19 01:00'"
        )


def test_a_bi_reader_on_duckdb_1_4_gets_tonights_scores_with_their_context(tmp_path, duckdb_lts):
    work, published = tmp_path / "work.duckdb", tmp_path / "pub" / "salespipe.duckdb"
    build_work(work)
    publish_warehouse(work, published, TONIGHT)

    rows = duckdb_lts(
        published,
        "select lead_id, grade, is_stale, owner_rep_name, owner_manager_name, account_name, "
        "source, attr_budget_confirmed from ml.current_lead_scores order by lead_id",
    )
    assert rows == [
        ["L1", "A", False, "Ann Rep", None, "Acme", "web", "yes"],
        ["L2", None, True, "Bob Rep", "Ann Rep", "Bolt", "event", None],
    ]  # one row per lead scored tonight, not one per night
    types = duckdb_lts(
        published,
        "select column_name, data_type from information_schema.columns "
        "where table_name = 'lead_features' and column_name like 'activities%' order by 1",
    )
    assert types == [["activities_last_14_days", "BIGINT"], ["activities_total", "BIGINT"]]


def test_every_published_table_view_and_column_has_a_description(tmp_path, duckdb_lts):
    work, published = tmp_path / "work.duckdb", tmp_path / "salespipe.duckdb"
    build_work(work)
    publish_warehouse(work, published, TONIGHT)
    with duckdb.connect(str(published), read_only=True) as con:
        assert undocumented(con, "salespipe") == []
        comments = dict(
            con.execute(
                "select column_name, comment from duckdb_columns() "
                "where table_name = 'current_lead_scores'"
            ).fetchall()
        )
    assert comments["score"] == TABLES["ml.lead_scores"].columns["score"]
    assert comments["owner_rep_name"] == "Name of the rep owning the lead."
    assert comments["source"] == "about source"  # from dbt's description of the mart
    assert (
        "attr_budget_confirmed"
        in duckdb_lts(
            published,
            "select comment from duckdb_columns() where column_name = 'attr_budget_confirmed'",
        )[0][0]
    )


def test_without_its_tables_the_view_is_not_created_and_nothing_fails(tmp_path):
    work, published = tmp_path / "work.duckdb", tmp_path / "salespipe.duckdb"
    with duckdb.connect(str(work)) as con:
        con.execute("create schema marts; create table marts.daily_revenue as select 1 as n")
    publish_warehouse(work, published, TONIGHT)
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from duckdb_views() where not internal").fetchone() == (
            0,
        )
