"""The example mapping of the public Maven CRM export, applied to the real export."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from ml.contract import LANDING_TABLES
from ml.mapping import MappedExport, apply_mapping, load_mapping
from ml.mapping.rules import DEFAULT_STAGES
from ml.settings import REPO_ROOT

MAPPING = REPO_ROOT / "examples" / "maven_crm" / "mapping.yml"
EXPORT_FILES = ("accounts.csv", "products.csv", "sales_pipeline.csv", "sales_teams.csv")
# The export is not in the repository; it is looked for next to the mapping, then in the
# shared data folder beside the checkout.
EXPORT_CANDIDATES = (MAPPING.parent, REPO_ROOT.parent / "shared" / "data" / "maven_crm")
DELIVERY = "2017-12-31"
MAPPED_TABLES = ("accounts", "sales_reps", "opportunities", "opportunity_stage_history")


def find_export() -> Path | None:
    return next(
        (d for d in EXPORT_CANDIDATES if all((d / f).is_file() for f in EXPORT_FILES)), None
    )


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = find_export()
    if source is None:
        pytest.skip(f"the Maven CRM export is not in any of {[str(d) for d in EXPORT_CANDIDATES]}")
    folder = tmp_path_factory.mktemp("maven")
    for name in EXPORT_FILES:
        shutil.copyfile(source / name, folder / name)
    shutil.copyfile(MAPPING, folder / "mapping.yml")
    return folder


@pytest.fixture(scope="module")
def applied(export_dir: Path) -> MappedExport:
    return apply_mapping(load_mapping(export_dir / "mapping.yml"), export_dir / "landing")


def read_rows(result: MappedExport, table: str) -> list[dict[str, str]]:
    path = result.out / table / DELIVERY / f"{table}.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_rows_per_table(applied: MappedExport) -> None:
    assert applied.rows == {
        "accounts": 85,
        "sales_reps": 35,
        "opportunities": 8_800,
        # 8,300 deals with an engage date + 6,711 closed deals
        "opportunity_stage_history": 15_011,
    }
    for table, count in applied.rows.items():
        assert len(read_rows(applied, table)) == count
    assert applied.delivery_date.isoformat() == DELIVERY


def test_layout_and_headers_follow_the_contract(applied: MappedExport) -> None:
    assert sorted(p.name for p in applied.out.iterdir()) == sorted(
        [*MAPPED_TABLES, "_mapping.json"]
    )
    for table in MAPPED_TABLES:
        files = sorted(p.relative_to(applied.out) for p in (applied.out / table).rglob("*.*"))
        assert files == [Path(table, DELIVERY, f"{table}.csv")]
        with (applied.out / files[0]).open(encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        assert header == list(LANDING_TABLES[table].columns)
    assert applied.missing_tables == ["leads", "activities", "market_indicators"]


def test_stages_come_from_the_contract(applied: MappedExport) -> None:
    stages = [row["stage"] for row in read_rows(applied, "opportunities")]
    assert {s: stages.count(s) for s in set(stages)} == {
        "closed_won": 4_238,
        "closed_lost": 2_473,
        "qualification": 1_589,
        "prospecting": 500,
    }
    history = read_rows(applied, "opportunity_stage_history")
    assert {row["stage"] for row in history} <= set(DEFAULT_STAGES)


def test_products_match_products_csv(applied: MappedExport, export_dir: Path) -> None:
    with (export_dir / "products.csv").open(encoding="utf-8") as handle:
        catalogue = {row["product"]: row["sales_price"] for row in csv.DictReader(handle)}
    rows = read_rows(applied, "opportunities")
    assert {row["product"] for row in rows} <= set(catalogue)
    assert sum(row["product"] == "GTX Pro" for row in rows) == 1_480
    # deals without a realised value (open, or lost with 0) carry the list price
    for row in rows:
        if row["stage"] != "closed_won":
            assert row["amount"] == catalogue[row["product"]]
        assert row["amount"]


def test_deals_without_account_keep_an_empty_account_id(applied: MappedExport) -> None:
    rows = read_rows(applied, "opportunities")
    accounts = {row["account_id"] for row in read_rows(applied, "accounts")}
    assert sum(row["account_id"] == "" for row in rows) == 1_425
    assert {row["account_id"] for row in rows} - {""} <= accounts
    assert "1,425 opportunities have no account: account_id left empty" in applied.notes


def test_prospecting_deals_are_created_at_the_delivery_date(applied: MappedExport) -> None:
    prospecting = [r for r in read_rows(applied, "opportunities") if r["stage"] == "prospecting"]
    assert len(prospecting) == 500
    assert {r["created_at"] for r in prospecting} == {DELIVERY}
    assert {r["updated_at"] for r in prospecting} == {DELIVERY}
    assert (
        "500 opportunities have no engage_date: created_at taken from the delivery date "
        "(2017-12-31)" in applied.notes
    )


def test_accounts_and_reps(applied: MappedExport) -> None:
    accounts = read_rows(applied, "accounts")
    assert "technolgy" not in {row["industry"] for row in accounts}
    assert sum(row["industry"] == "technology" for row in accounts) == 12
    reps = read_rows(applied, "sales_reps")
    assert {row["region"] for row in reps} == {"Central", "East", "West"}
    assert all(row["rep_id"] == row["rep_name"] and row["team"] for row in reps)


def test_mapping_json_carries_leakage_and_notes(applied: MappedExport) -> None:
    marker = json.loads((applied.out / "_mapping.json").read_text(encoding="utf-8"))
    assert marker["leakage_columns"] == applied.leakage_columns
    assert applied.leakage_columns["opportunities"] == [
        "updated_at",
        "amount",
        "close_date",
        "closed_at",
    ]
    assert marker["notes"] == applied.notes
    assert marker["missing_tables"] == applied.missing_tables
    assert marker["delivery_date"] == DELIVERY


def test_applying_twice_gives_identical_bytes(applied: MappedExport, export_dir: Path) -> None:
    again = apply_mapping(load_mapping(export_dir / "mapping.yml"), export_dir / "landing2")
    first = {p.relative_to(applied.out): p.read_bytes() for p in applied.out.rglob("*.*")}
    second = {p.relative_to(again.out): p.read_bytes() for p in again.out.rglob("*.*")}
    assert first == second
    # applying into the same folder replaces the earlier output
    replaced = apply_mapping(load_mapping(export_dir / "mapping.yml"), again.out)
    assert {p.relative_to(replaced.out): p.read_bytes() for p in replaced.out.rglob("*.*")} == first


def test_export_folder_can_differ_from_the_mapping_folder(tmp_path):
    from ml.settings import REPO_ROOT

    export = REPO_ROOT.parent / "shared" / "data" / "maven_crm"
    if not export.is_dir():
        pytest.skip("../shared/data/maven_crm is not beside the repository")
    spec = load_mapping(REPO_ROOT / "examples" / "maven_crm" / "mapping.yml", source_dir=export)

    assert spec.folder == export
    assert apply_mapping(spec, tmp_path / "landing").rows["opportunities"] == 8_800


def test_the_open_versions_variant_adds_each_closed_deal_open_at_its_engage_date(
    export_dir: Path, tmp_path: Path
) -> None:
    variant = export_dir / "mapping_open_versions.yml"
    shutil.copyfile(MAPPING.with_name("mapping_open_versions.yml"), variant)

    result = apply_mapping(load_mapping(variant), tmp_path / "landing")

    # 8,800 final states + 6,711 won or lost deals as they stood on their engage date
    assert result.rows["opportunities"] == 8_800 + 6_711
    path = tmp_path / "landing" / "opportunities" / DELIVERY / "opportunities.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        versions = [r for r in csv.DictReader(handle) if r["opportunity_id"] == "1C1I7A6R"]
    assert [(v["stage"], v["close_date"], v["updated_at"], v["amount"]) for v in versions] == [
        ("closed_won", "2017-03-01", "2017-03-01", "1054"),
        ("qualification", "", "2016-10-20", "1096"),  # GTX Plus Basic list price
    ]
    assert (
        "2,089 rows of sales_pipeline.csv have a deal_stage other than Won, Lost: left out of "
        "opportunities by its rows filter" in result.notes
    )
    assert "6,711 opportunities get an empty constant: close_date left empty" in result.notes
