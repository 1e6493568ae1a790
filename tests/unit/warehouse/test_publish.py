"""Publishing: only BI schemas leave the work file; open readers never block or see half a night."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from ml.warehouse.publish import publish_warehouse


def build_work(path: Path, revenue_rows: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists raw; create schema if not exists marts")
        con.execute("create or replace table raw.leads as select 'a@x.com' as email")
        con.execute(
            "create or replace table marts.daily_revenue as "
            f"select range as day from range({revenue_rows})"
        )


def test_publishes_bi_schemas_only(tmp_path):
    work, published = tmp_path / "work.duckdb", tmp_path / "pub" / "salespipe.duckdb"
    build_work(work, revenue_rows=3)

    result = publish_warehouse(work, published, date(2024, 5, 1))

    assert result.row_counts == {"marts.daily_revenue": 3}
    with duckdb.connect(str(published), read_only=True) as con:
        schemas = {
            r[0]
            for r in con.execute(
                "select schema_name from information_schema.schemata "
                "where catalog_name = 'salespipe'"
            ).fetchall()
        }
        assert "raw" not in schemas  # personal data in clear text never reaches BI
        assert con.execute("select business_date from meta.publication").fetchone() == (
            date(2024, 5, 1),
        )
    # no temporary copy is left behind; beside the file only its manifest, WAL blocker and
    # the scoring API's deal history
    assert sorted(p.name for p in published.parent.iterdir()) == [
        "salespipe.duckdb",
        "salespipe.duckdb.publication.json",
        "salespipe.duckdb.wal",
        "salespipe_deal_history.duckdb",
    ]


def test_open_reader_neither_blocks_the_night_nor_sees_it_half_done(tmp_path, open_bi_reader):
    work, published = tmp_path / "work.duckdb", tmp_path / "salespipe.duckdb"
    build_work(work, revenue_rows=3)
    publish_warehouse(work, published, date(2024, 5, 1))
    reader = open_bi_reader(published)
    assert reader.query("select count(*) from marts.daily_revenue") == "3"

    build_work(work, revenue_rows=5)  # the next night writes while the reader is open
    publish_warehouse(work, published, date(2024, 5, 2))

    # The open reader keeps a consistent view of the night it opened...
    assert reader.query("select count(*) from marts.daily_revenue") == "3"
    assert reader.query("select business_date from meta.publication") == "2024-05-01"
    reader.close()
    # ...and the next reader sees the whole new night.
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from marts.daily_revenue").fetchone() == (5,)


def test_nothing_to_publish_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="No working warehouse"):
        publish_warehouse(tmp_path / "missing.duckdb", tmp_path / "pub.duckdb", date(2024, 5, 1))
