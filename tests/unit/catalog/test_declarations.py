"""Every output table is declared once, and the declarations reach dbt and the BI file."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb

from ml.catalog import TABLES, ensure_table
from ml.catalog.dbt_sources import sources_yml
from ml.contract import LANDING_TABLES
from ml.warehouse.catalog import undocumented
from ml.warehouse.publish import copy_published_schemas

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ROOT / "dbt_project" / "models" / "staging" / "_ml__sources.yml"


def test_the_contract_tables_and_every_quarantine_table_are_declared():
    assert {"ml.lead_scores", "ml.revenue_forecasts", "monitoring.drift",
            "monitoring.pipeline_runs"} <= set(TABLES)  # fmt: skip
    assert {f"quarantine.{t}" for t in LANDING_TABLES} <= set(TABLES)


def test_every_table_and_column_has_a_description_grain_and_type():
    for table in TABLES.values():
        assert table.description.strip(), table.name
        assert table.grain, table.name
        for column in table.columns:
            assert column.description.strip() and column.type.strip(), (table.name, column.name)


def test_the_suites_named_exist():
    for table in TABLES.values():
        if table.suite:
            layer, name = table.suite.split(".")
            assert (ROOT / "expectations" / layer / f"{name}.yml").is_file(), table.suite


def test_dbt_sources_are_generated_from_the_declarations():
    assert SOURCES.read_text(encoding="utf-8") == sources_yml(), (
        "regenerate: python -m ml.catalog.dbt_sources > " + str(SOURCES.relative_to(ROOT))
    )


def test_the_published_file_describes_every_declared_table_and_column(tmp_path):
    work, published = tmp_path / "work.duckdb", tmp_path / "published.duckdb"
    with duckdb.connect(str(work)) as con:
        for name in TABLES:
            ensure_table(con, name)
    copy_published_schemas(work, published, date(2025, 3, 3))
    with duckdb.connect(str(published)) as con:
        assert undocumented(con, "published") == []
        comments = dict(
            con.execute(
                "select schema_name || '.' || table_name, comment from duckdb_tables()"
            ).fetchall()
        )
    for name, table in TABLES.items():
        if table.schema in ("ml", "monitoring"):
            assert comments[name] == " ".join(table.description.split())
    assert not any(name.startswith("quarantine.") for name in comments)  # never published


def test_the_catalog_imports_great_expectations_only_when_a_suite_runs():
    code = (
        "import sys, ml.catalog, ml.warehouse.runs, ml.registry.aliases\n"
        "assert 'great_expectations' not in sys.modules, 'imported at module level'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
