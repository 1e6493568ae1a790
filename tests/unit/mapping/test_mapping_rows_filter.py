"""A table block's ``rows`` filter, and a required column left empty on purpose
(``{constant: ""}``): what the Maven variant with an open version of every closed deal
needs (examples/maven_crm/mapping_open_versions.yml)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ml.mapping import MappingError, apply_mapping, load_mapping

DEALS = """id,acct,stage,opened,closed,value
D1,A1,Won,2024-01-02,2024-02-01,100
D2,A1,Lost,2024-01-03,2024-02-10,50
D3,A2,Open,2024-01-04,,5
"""

# every deal as it ended, and each closed one as it stood when opened
MAPPING = """\
delivery_date: 2024-03-01
tables:
  opportunities:
    - files: [deals.csv]
      columns:
        opportunity_id: id
        account_id: acct
        stage:
          column: stage
          value_map: {Won: closed_won, Lost: closed_lost, Open: qualification}
        amount: value
        close_date: closed
        created_at: opened
        updated_at: {column: closed, fallback: [opened]}
    - files: [deals.csv]
      rows: {column: stage, in: [Won, " Lost "]}
      columns:
        opportunity_id: id
        account_id: acct
        stage: {constant: qualification}
        amount: value
        close_date: {constant: ""}
        created_at: opened
        updated_at: opened
"""


def write(folder: Path, text: str) -> Path:
    (folder / "deals.csv").write_text(DEALS, encoding="utf-8")
    (folder / "mapping.yml").write_text(text, encoding="utf-8")
    return folder / "mapping.yml"


def problems(folder: Path, text: str) -> list[str]:
    with pytest.raises(MappingError) as caught:
        load_mapping(write(folder, text))
    return caught.value.problems


def test_the_filter_keeps_only_the_listed_values_and_the_notes_count_the_rest(tmp_path):
    result = apply_mapping(load_mapping(write(tmp_path, MAPPING)), tmp_path / "out")

    path = tmp_path / "out" / "opportunities" / "2024-03-01" / "opportunities.csv"
    rows = [(r["opportunity_id"], r["stage"], r["close_date"], r["updated_at"])
            for r in csv.DictReader(path.open(encoding="utf-8"))]  # fmt: skip
    assert rows == [
        ("D1", "closed_won", "2024-02-01", "2024-02-01"),
        ("D2", "closed_lost", "2024-02-10", "2024-02-10"),
        ("D3", "qualification", "", "2024-01-04"),
        ("D1", "qualification", "", "2024-01-02"),
        ("D2", "qualification", "", "2024-01-03"),
    ]
    assert result.rows == {"opportunities": 5}
    assert (
        "1 rows of deals.csv have a stage other than Won, Lost: left out of opportunities by "
        "its rows filter" in result.notes
    )
    assert "2 opportunities get an empty constant: close_date left empty" in result.notes


def test_a_filter_on_a_column_the_file_lacks(tmp_path):
    text = MAPPING.replace("rows: {column: stage,", "rows: {column: deal_stage,")
    assert problems(tmp_path, text) == [
        "mapping.yml: tables.opportunities[1].rows.column: column 'deal_stage' is not in the "
        "header of deals.csv (did you mean 'stage'?)"
    ]
    text = MAPPING.replace("rows: {column: stage,", "rows: {column: phase,")
    assert problems(tmp_path, text) == [
        "mapping.yml: tables.opportunities[1].rows.column: column 'phase' is not in the "
        "header of deals.csv (its columns: id, acct, stage, opened, closed, value)"
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("rows: [Won, Lost]", "expected {column: <source column>, in: [<value>, ...]}"),
        ("rows: {column: stage}", "expected {column: <source column>, in: [<value>, ...]}"),
        ("rows: {column: stage, values: [Won]}",
         "unknown key 'values' (expected one of: column, in)"),
        ("rows: {column: stage, in: [[Won]]}",
         None),  # nested list: reported at rows.in
    ],
)  # fmt: skip
def test_a_malformed_filter_says_what_it_expects(tmp_path, rows, message):
    text = MAPPING.replace('rows: {column: stage, in: [Won, " Lost "]}', rows)
    if message is None:
        assert problems(tmp_path, text) == [
            "mapping.yml: tables.opportunities[1].rows.in: expected a text value or a list "
            "of text values"
        ]
    else:
        assert problems(tmp_path, text) == [f"mapping.yml: tables.opportunities[1].rows: {message}"]


def test_a_date_constant_that_is_not_empty_is_still_checked(tmp_path):
    text = MAPPING.replace('close_date: {constant: ""}', "close_date: {constant: soon}")
    assert problems(tmp_path, text) == [
        "mapping.yml: tables.opportunities[1].columns.close_date: constant 'soon' is not an "
        "ISO 8601 date or timestamp"
    ]
