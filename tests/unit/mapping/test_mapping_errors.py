"""Bad mappings: every problem is reported, with the mapping file, column and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml.mapping import MappingError, load_mapping

DEALS = """id,acct,stage,opened,closed,value
D1,A1,Won,2024-01-02,2024-02-01,100
D2,,Closed-ish,2024-01-03,,
D3,A2,Open,2024-01-04,,5
D4,A2,Closed-ish,,,
"""

# A valid mapping of DEALS; each test breaks one thing in it.
GOOD = """\
delivery_date: 2024-03-01
tables:
  opportunities:
    files: [deals.csv]
    columns:
      opportunity_id: id
      account_id: acct
      stage:
        column: stage
        value_map: {Won: closed_won, Open: qualification, Closed-ish: closed_lost}
      amount: value
      close_date: closed
      created_at: opened
      updated_at: {column: closed, fallback: [opened, {delivery_date: true}]}
"""


def write_mapping(folder: Path, text: str) -> Path:
    (folder / "deals.csv").write_text(DEALS, encoding="utf-8")
    path = folder / "mapping.yml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(folder: Path, text: str) -> list[str]:
    with pytest.raises(MappingError) as caught:
        load_mapping(write_mapping(folder, text))
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def test_the_good_mapping_loads(tmp_path: Path) -> None:
    spec = load_mapping(write_mapping(tmp_path, GOOD))
    assert spec.tables == ("opportunities",)
    assert str(spec.delivery_date) == "2024-03-01"


def test_unknown_contract_column(tmp_path: Path) -> None:
    text = GOOD.replace("      amount: value\n", "      amount: value\n      ammount: value\n")
    assert problems(tmp_path, text) == [
        "mapping.yml: tables.opportunities.columns.ammount: not a column of the contract "
        "table opportunities (did you mean 'amount'?)"
    ]


def test_source_column_missing_from_the_file(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD.replace("amount: value", "amount: deal_amount_usd")) == [
        "mapping.yml: tables.opportunities.columns.amount: column 'deal_amount_usd' is not in the "
        "header of deals.csv (its columns: id, acct, stage, opened, closed, value)"
    ]


def test_source_file_missing(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD.replace("[deals.csv]", "[deals_2024.csv]")) == [
        "mapping.yml: tables.opportunities.files: source file 'deals_2024.csv' does not exist "
        f"({tmp_path / 'deals_2024.csv'})"
    ]


def test_unmapped_stage_value(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD.replace(", Closed-ish: closed_lost", "")) == [
        "mapping.yml: tables.opportunities.columns.stage: value 'Closed-ish' in deals.csv "
        "column stage has no entry in value_map and is not in the contract stages (rows 2, 4)"
    ]


def test_value_map_target_not_a_stage(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD.replace("Won: closed_won", "Won: won")) == [
        "mapping.yml: tables.opportunities.columns.stage.value_map: 'Won' maps to 'won', "
        "not in the contract stages"
    ]


def test_required_contract_column_not_mapped(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD.replace("      close_date: closed\n", "")) == [
        "mapping.yml: tables.opportunities.columns: required contract column 'close_date' is "
        "not mapped (give a source column, a constant or {delivery_date: true})"
    ]


def test_bad_custom_field_name(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text("id,when,src,st,Budget?\nL1,2024-01-01,web,open,Yes\n")
    leads = """\
  leads:
    files: leads.csv
    columns: {lead_id: id, created_at: when, updated_at: when, source: src, status: st}
    custom_fields:
      attr_Budget Confirmed: Budget?
"""
    assert problems(tmp_path, GOOD + leads) == [
        "mapping.yml: tables.leads.custom_fields.attr_Budget Confirmed: custom field names "
        "must be attr_<snake_case>, e.g. 'attr_budget_confirmed'"
    ]


def test_yaml_syntax_error(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD.replace("files: [deals.csv]", "files: [deals.csv")) == [
        "mapping.yml: YAML syntax error at line 5, column 12: expected ',' or ']', but got ':'"
    ]


def test_unknown_key_and_bad_constant(tmp_path: Path) -> None:
    text = GOOD.replace("value_map:", "value_mapp:").replace(
        "created_at: opened", "created_at: {constant: 2024-13-01}"
    )
    assert problems(tmp_path, text) == [
        "mapping.yml: tables.opportunities.columns.stage: unknown key 'value_mapp' "
        "(did you mean 'value_map'?)",
        "mapping.yml: tables.opportunities.columns.created_at: constant '2024-13-01' is not an "
        "ISO 8601 date or timestamp",
    ]


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    text = (
        GOOD.replace("delivery_date: 2024-03-01", "delivery_date: 1 March 2024")
        .replace("account_id: acct", "account_id: account")
        .replace("      amount: value\n", "      amount: value\n      stge: stage\n")
        + "    leakage: [close_value]\n"
        + "  oportunities:\n    files: [deals.csv]\n"
    )
    assert problems(tmp_path, text) == [
        "mapping.yml: delivery_date: '1 March 2024' is not a date (YYYY-MM-DD)",
        "mapping.yml: tables.opportunities.columns.stge: not a column of the contract table "
        "opportunities (did you mean 'stage'?)",
        "mapping.yml: tables.opportunities.columns.account_id: column 'account' is not in the "
        "header of deals.csv (did you mean 'acct'?)",
        "mapping.yml: tables.opportunities.leakage: 'close_value' is neither a column of the "
        "contract table opportunities nor a column of deals.csv (did you mean 'close_date'?)",
        "mapping.yml: tables.oportunities: not a contract table (did you mean 'opportunities'?)",
    ]


def test_no_delivery_date_and_no_dates_in_the_export(tmp_path: Path) -> None:
    text = GOOD.replace("delivery_date: 2024-03-01\n", "").replace(
        "updated_at: {column: closed, fallback: [opened, {delivery_date: true}]}",
        "updated_at: {delivery_date: true}",
    )
    assert problems(tmp_path, text) == [
        "mapping.yml: delivery_date: not set, and no mapped updated_at value is a date to take "
        "it from; set delivery_date: YYYY-MM-DD (the day the export was taken)"
    ]


def test_no_delivery_date_and_empty_date_columns(tmp_path: Path) -> None:
    text = GOOD.replace("delivery_date: 2024-03-01\n", "").replace(
        "updated_at: {column: closed, fallback: [opened, {delivery_date: true}]}",
        "updated_at: {column: acct, missing: [A1, A2, '']}",
    )
    assert problems(tmp_path, text) == [
        "mapping.yml: delivery_date: not set, and no mapped updated_at value is a date to take "
        "it from; set delivery_date: YYYY-MM-DD (the day the export was taken)"
    ]


def test_a_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(MappingError) as caught:
        load_mapping(tmp_path / "nope.yml")
    assert str(caught.value) == (
        f"nope.yml: cannot read the mapping file {tmp_path / 'nope.yml'}: No such file or directory"
    )
