"""The suites under expectations/: complete, consistent with the contract and dbt, checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from ml.contract import LANDING_TABLES
from ml.quality.batch_sql import checked_batch_sql
from ml.quality.rules import all_rule_names
from ml.quality.specs import EXPECTATIONS_DIR, SpecError, dbt_vars, load_raw_suites
from ml.quality.sql_values import OFFSET
from ml.settings import REPO_ROOT


def test_every_landing_table_has_rules_and_every_key_is_required():
    suites = load_raw_suites()

    assert set(suites) == set(LANDING_TABLES)
    for name, suite in suites.items():
        assert all(suite.columns[key].not_null for key in suite.contract.key), name
        names = [rule for rule, _, _ in all_rule_names(suite)]
        assert len(names) == len(set(names)), name


def test_the_stage_rule_reads_the_configured_stage_order():
    stages = load_raw_suites()["opportunities"].columns["stage"].in_set

    assert stages == tuple(dbt_vars()["stage_order"])
    assert stages == (
        "prospecting",
        "qualification",
        "proposal",
        "negotiation",
        "closed_won",
        "closed_lost",
    )


def test_timestamps_are_parsed_with_the_same_pattern_as_dbt_staging():
    macro = (REPO_ROOT / "dbt_project" / "macros" / "crm_columns.sql").read_text()

    assert f"'{OFFSET}'" in macro


@pytest.fixture
def suites_copy(tmp_path: Path) -> Path:
    shutil.copytree(EXPECTATIONS_DIR, tmp_path / "expectations")
    return tmp_path / "expectations"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("  lead_id:\n    not_null: false\n", "key column lead_id must have `not_null: true`"),
        ("  status:\n    in_list: [open]\n", "status: unknown check(s) in_list"),
        ("  statuz:\n    not_null: true\n", "statuz is not a column of leads in the contract"),
        ("  created_at:\n    type: datetime\n", "created_at: type must be one of timestamp"),
        ("  employees:\n    min: 0\n", "employees: min needs type integer, decimal or number"),
    ],
)
def test_a_malformed_suite_names_the_file_and_the_column(suites_copy, text, message):
    path = suites_copy / "raw" / "leads.yml"
    lines = path.read_text().split("columns:\n")[0]
    path.write_text(lines + "columns:\n  lead_id:\n    not_null: true\n" + text)

    with pytest.raises(SpecError) as failure:
        load_raw_suites(suites_copy)

    assert str(path) in str(failure.value) and message in str(failure.value)


def check(table: str, **columns: list[str | None]) -> list[list[str]]:
    """The rules each row of a one-delivery batch breaks (row and warn), in row order."""
    rows = len(next(iter(columns.values())))
    batch = pa.table(
        {
            **{name: pa.array(values, pa.string()) for name, values in columns.items()},
            "_delivery_date": pa.array([pa.scalar(19724, pa.date32())] * rows),  # 2024-01-02
            "_source_file": pa.array(["f.csv"] * rows),
            "_source_row": pa.array(range(1, rows + 1), pa.int64()),
        }
    )
    suite = load_raw_suites()[table]
    with duckdb.connect() as con:
        con.register("batch", batch)
        sql = checked_batch_sql(suite, batch.column_names, "batch")
        result = con.sql(f"select _rules, _warns from ({sql}) order by _source_row").fetchall()
    return [rules + warns for rules, warns in result]


def test_values_are_read_as_dbt_staging_reads_them():
    assert check(
        "opportunities",
        opportunity_id=["O1", "O2", "O3", "O4", "O5"],
        created_at=[
            "2024-01-01",
            "2024-01-01 09:00",
            "2024-01-03T23:30:00-05:00",
            None,
            "01/02/2024",
        ],
        amount=[" 12.50 ", "1,000", "", None, "12.5.1"],
        is_won=["TRUE", "y", "0", None, "maybe"],
    ) == [
        [],
        ["amount_not_number"],  # staging reads amounts as DECIMAL(18, 2)
        ["created_at_in_future"],  # 2024-01-04T04:30Z: after the day after delivery
        [],
        ["created_at_not_timestamp", "amount_not_number", "is_won_not_boolean"],
    ]
