"""Applying small mappings: placeholders, value maps, fallbacks, custom fields, output."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from ml.contract import LANDING_TABLES
from ml.mapping import MappingError, apply_mapping, load_mapping

LEADS_A = """Lead ID,Created,Changed,Origin,Lead Status,E-mail,Budget?,Notes after call
L1,2024-01-02T09:00:00Z,2024-01-05T10:00:00Z,Web,New,a@x.com,Yes,called twice
L2,2024-01-03,,Select,Working,N/A,No,
"""
LEADS_B = """Lead ID,Created,Changed,Origin,Lead Status,E-mail,Budget?,Notes after call
L3,2024-01-04,2024-01-06T23:30:00-02:00,-,Won,c@x.com,,
,2024-01-04,2024-01-04,web,New,d@x.com,Yes,
"""

MAPPING = """\
missing: ["", "N/A"]
tables:
  leads:
    files: [leads_a.csv, leads_b.csv]
    missing: ["", "N/A", "Select", "-"]
    columns:
      lead_id: Lead ID
      created_at: Created
      updated_at: {column: Changed, fallback: [Created]}
      source: {column: Origin, value_map: {Web: web}, missing: ["", "Select"]}
      status:
        column: Lead Status
        value_map: {New: open, Working: working, Won: converted}
      email: E-mail
    custom_fields:
      attr_budget_confirmed: {column: "Budget?", value_map: {Yes: yes, No: no}}
      attr_call_notes: Notes after call
    leakage: [Notes after call, Lead Status]
"""


@pytest.fixture
def mapping(tmp_path: Path) -> Path:
    (tmp_path / "leads_a.csv").write_text(LEADS_A, encoding="utf-8")
    (tmp_path / "leads_b.csv").write_text(LEADS_B, encoding="utf-8")
    path = tmp_path / "mapping.yml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_maps_values_placeholders_and_custom_fields(mapping: Path, tmp_path: Path) -> None:
    result = apply_mapping(load_mapping(mapping), tmp_path / "out")
    # no delivery_date in the mapping: the latest updated_at (in UTC) is the delivery
    assert str(result.delivery_date) == "2024-01-07"
    path = tmp_path / "out" / "leads" / "2024-01-07" / "leads.csv"
    header = next(csv.reader(path.open(encoding="utf-8")))
    assert header == [*LANDING_TABLES["leads"].columns, "attr_budget_confirmed", "attr_call_notes"]
    rows = {row["lead_id"]: row for row in read(path)}
    assert list(rows) == ["L1", "L2", "L3"]  # files in order; the row without an id is left out
    assert [rows[i]["source"] for i in rows] == ["web", "", "-"]  # column missing list wins
    assert [rows[i]["status"] for i in rows] == ["open", "working", "converted"]
    assert [rows[i]["email"] for i in rows] == ["a@x.com", "", "c@x.com"]
    assert [rows[i]["attr_budget_confirmed"] for i in rows] == ["yes", "no", ""]
    assert rows["L2"]["updated_at"] == "2024-01-03"  # fallback to Created
    assert result.rows == {"leads": 3}
    assert result.leakage_columns == {"leads": ["status", "attr_call_notes"]}
    assert result.notes == [
        "delivery date 2024-01-07 is the latest mapped updated_at",
        "1 leads have no Changed: updated_at taken from Created",
        "1 leads have no Origin (counting 'Select' as missing): source left empty",
        "leads.source from leads_a.csv column Origin: Web -> web (1)",
        "leads.status from leads_a.csv column Lead Status: New -> open (1), Working -> working (1)",
        "leads.attr_budget_confirmed from leads_a.csv column Budget?: Yes -> yes (1), No -> no (1)",
        "1 rows of leads_b.csv have no Lead ID: left out of leads (lead_id is part of its key)",
        "leads.status from leads_b.csv column Lead Status: Won -> converted (1)",
        "not in this export, so no landing folder: accounts, sales_reps, opportunities, "
        "opportunity_stage_history, activities, market_indicators",
    ]


def test_unknown_status_names_the_file_and_rows(mapping: Path) -> None:
    mapping.write_text(MAPPING.replace(", Won: converted", ""), encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(mapping)
    assert str(caught.value) == (
        "mapping.yml: tables.leads.columns.status: value 'Won' in leads_b.csv column Lead Status "
        "has no entry in value_map and is not in the contract lead statuses (rows 1)"
    )


def test_lookup_and_constants(tmp_path: Path) -> None:
    (tmp_path / "deals.csv").write_text("id,product,stage\nD1,A,won\nD2,B,won\nD3,Z,won\n")
    (tmp_path / "prices.csv").write_text("name,price\nA,10\nB,20\n")
    (tmp_path / "m.yml").write_text(
        """\
delivery_date: 2024-05-01
tables:
  opportunities:
    files: deals.csv
    columns:
      opportunity_id: id
      account_id: {constant: ""}
      stage: {column: stage, value_map: {won: closed_won}}
      amount: {column: product, lookup: {file: prices.csv, key: name, value: price}}
      close_date: {delivery_date: true}
      created_at: {constant: 2024-01-01T00:00:00Z}
      updated_at: {delivery_date: true}
      currency: {constant: EUR}
""",
        encoding="utf-8",
    )
    result = apply_mapping(load_mapping(tmp_path / "m.yml"), tmp_path / "out")
    rows = read(tmp_path / "out" / "opportunities" / "2024-05-01" / "opportunities.csv")
    assert [(r["amount"], r["currency"], r["close_date"]) for r in rows] == [
        ("10", "EUR", "2024-05-01"),
        ("20", "EUR", "2024-05-01"),
        ("", "EUR", "2024-05-01"),
    ]
    assert (
        "opportunities.amount from deals.csv column product: 1 values not found in "
        "prices.csv column name ('Z')" in result.notes
    )
    assert "3 opportunities get an empty constant: account_id left empty" in result.notes


def test_refuses_a_folder_it_did_not_write(mapping: Path, tmp_path: Path) -> None:
    out = tmp_path / "landing"
    (out / "leads").mkdir(parents=True)
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="Refusing to write into"):
        apply_mapping(load_mapping(mapping), out)
    assert (out / "notes.txt").read_text() == "mine"


def test_replaces_its_own_earlier_output(mapping: Path, tmp_path: Path) -> None:
    out = tmp_path / "landing"
    apply_mapping(load_mapping(mapping), out)
    mapping.write_text(MAPPING.replace('missing: ["", "N/A"]', "delivery_date: 2024-02-01"))
    apply_mapping(load_mapping(mapping), out)
    assert [p.name for p in (out / "leads").iterdir()] == ["2024-02-01"]
    assert json.loads((out / "_mapping.json").read_text())["delivery_date"] == "2024-02-01"


def test_parquet_sources_and_dates_that_are_not_iso(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    reps = pa.table(
        {
            "id": [7, 8, None],
            "name": ["Ann", " Bo ", "Cy"],
            "start": ["2020-01-02", "02/03/2021", None],
        }
    )
    pq.write_table(reps, tmp_path / "reps.parquet")
    (tmp_path / "m.yml").write_text(
        """\
delivery_date: 2024-05-01
tables:
  sales_reps:
    files: reps.parquet
    columns: {rep_id: id, rep_name: name, hired_at: start, updated_at: {delivery_date: true}}
""",
        encoding="utf-8",
    )
    result = apply_mapping(load_mapping(tmp_path / "m.yml"), tmp_path / "out")
    rows = read(tmp_path / "out" / "sales_reps" / "2024-05-01" / "sales_reps.csv")
    assert [(r["rep_id"], r["rep_name"], r["hired_at"]) for r in rows] == [
        ("7", "Ann", "2020-01-02"),
        ("8", "Bo", "02/03/2021"),
    ]
    assert result.notes[:2] == [
        "1 rows of reps.parquet have no id: left out of sales_reps (rep_id is part of its key)",
        "1 sales reps from reps.parquet have a hired_at that is not an ISO 8601 date "
        "('02/03/2021'): it will load as empty",
    ]
