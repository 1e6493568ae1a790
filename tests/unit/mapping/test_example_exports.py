"""The example exports in examples/ are exactly what tests/fixtures/crm_exports.py makes,
and their mappings load against them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ml.mapping import load_mapping
from ml.settings import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tests" / "fixtures"))
import crm_exports  # noqa: E402

FILES = [
    "lead_form_export/data/leads.csv",
    "funnel_export/data/qualified_leads.csv",
    "funnel_export/data/closed_deals.csv",
]


def test_committed_fixtures_are_the_generators_output(tmp_path: Path) -> None:
    crm_exports.write_examples(tmp_path)
    for name in FILES:
        made = (tmp_path / "examples" / name).read_bytes()
        assert made == (REPO_ROOT / "examples" / name).read_bytes(), name


@pytest.mark.parametrize("example", ["lead_form_export", "funnel_export"])
def test_the_example_mappings_load(example: str) -> None:
    folder = REPO_ROOT / "examples" / example
    spec = load_mapping(folder / "mapping.yml", folder / "data")
    assert spec.final_state_tables == ("leads",)
    assert str(spec.delivery_date) == "2025-06-30"
