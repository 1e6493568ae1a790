"""The landing zone the generator writes: layout, contract columns, CDC, mess, guards."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ml.generate import GenerationSummary, generate_landing_zone

START = dt.date(2024, 1, 1)
DAYS = 90
LEADS = 2_000
TABLES = (
    "accounts",
    "sales_reps",
    "leads",
    "opportunities",
    "opportunity_stage_history",
    "activities",
    "market_indicators",
)
# Required columns of CONTRACT.md section 1.
REQUIRED = {
    "accounts": {"account_id", "account_name", "created_at", "updated_at"},
    "sales_reps": {"rep_id", "rep_name", "updated_at"},
    "leads": {"lead_id", "created_at", "updated_at", "source", "status"},
    "opportunities": {
        "opportunity_id",
        "account_id",
        "created_at",
        "updated_at",
        "stage",
        "amount",
        "close_date",
    },
    "opportunity_stage_history": {"opportunity_id", "stage", "changed_at"},
    "activities": {"activity_id", "occurred_at", "activity_type"},
    "market_indicators": {"date", "indicator", "value"},
}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    out = tmp_path_factory.mktemp("landing") / "zone"
    lines: list[str] = []
    summary = generate_landing_zone(
        out, seed=7, leads=LEADS, start=START, days=DAYS, progress=lines.append
    )
    assert lines and lines[-1].startswith("wrote ")
    return out, summary


def read(out: Path, table: str, redeliveries: bool = False) -> pd.DataFrame:
    """All deliveries of a table as text, with the delivery folder date."""
    frame = duckdb.sql(
        f"select * from read_csv('{out}/{table}/*/*.csv', all_varchar=true, filename=true)"
    ).df()
    frame["delivery"] = frame["filename"].map(lambda f: Path(f).parent.name)
    if not redeliveries:
        frame = frame[~frame["filename"].str.contains("__redelivery_")]
    return frame


def all_files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_every_table_has_one_folder_and_file_per_delivery_day(landing):
    out, summary = landing
    days = [(START + dt.timedelta(d)).isoformat() for d in range(DAYS)]
    for table in TABLES:
        assert sorted(p.name for p in (out / table).iterdir()) == days
        assert all((out / table / day / f"{table}.csv").is_file() for day in days)
    assert summary.first_day == START and summary.last_day == dt.date(2024, 3, 30)
    assert summary.files == 7 * DAYS + 1  # plus the repeated delivery


def test_every_file_has_the_contract_columns(landing):
    out, _ = landing
    for table in TABLES:
        headers = {p.open(encoding="utf-8").readline() for p in (out / table).rglob("*.csv")}
        assert len(headers) == 1, f"{table} files disagree on their header"
        columns = set(headers.pop().strip().replace('"', "").split(","))
        assert REQUIRED[table] <= columns
    leads = read(out, "leads")
    assert {
        "email",
        "first_name",
        "last_name",
        "phone",
        "attr_budget_confirmed",
        "attr_lead_form",
        "attr_seats_requested",
    } <= set(leads.columns)


def test_days_without_rows_are_header_only_files(tmp_path):
    generate_landing_zone(tmp_path / "tiny", leads=3, days=20, start=START)
    leads = [p.read_text().splitlines() for p in (tmp_path / "tiny" / "leads").glob("*/leads.csv")]
    assert len(leads) == 20
    assert any(len(lines) == 1 for lines in leads)  # an empty delivery: just the header


def test_summary_counts_match_the_files(landing):
    out, summary = landing
    assert set(summary.rows) == set(TABLES)
    for table in TABLES:
        assert len(read(out, table)) == summary.rows[table], table
    assert summary.rows["leads"] > LEADS  # CDC: leads come back when their status changes


def test_values_use_the_documented_formats_and_vocabularies(landing):
    out, _ = landing
    leads = read(out, "leads")
    assert set(leads["source"]) <= {
        "web",
        "referral",
        "event",
        "partner",
        "outbound",
        "paid_search",
    }
    assert set(leads["status"]) == {"open", "working", "qualified", "disqualified", "converted"}
    assert set(leads["attr_budget_confirmed"].dropna()) == {"yes", "no"}
    assert set(leads["attr_lead_form"].dropna()) <= {
        "demo_request",
        "pricing",
        "whitepaper",
        "webinar",
        "contact_us",
    }
    assert leads["attr_seats_requested"].dropna().str.fullmatch(r"\d+").all()
    assert leads["updated_at"].str.match(TIMESTAMP.pattern).all()
    opps = read(out, "opportunities")
    assert opps["close_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert set(opps["is_closed"]) == {"true", "false"}
    assert opps["amount"].str.fullmatch(r"-?\d+\.\d{2}").all()
    acts = read(out, "activities")
    assert set(acts["activity_type"]) == {"email", "call", "meeting", "demo", "web_visit"}
    assert acts["activity_id"].is_unique
    assert acts["lead_id"].notna().all()
    assert (acts["occurred_at"].str[:10] == acts["delivery"]).all()  # delivered the day they occur


def test_market_indicators_have_one_value_per_indicator_per_day(landing):
    out, _ = landing
    market = read(out, "market_indicators")
    assert not market.duplicated(["indicator", "date"]).any()
    assert set(market["indicator"]) == {"pmi", "interest_rate"} and set(market["source"]) == {
        "synthetic"
    }
    in_window = market[market["date"] >= START.isoformat()]
    assert (in_window["date"] == in_window["delivery"]).all()
    assert len(in_window) == 2 * DAYS
    pmi = market.loc[market["indicator"] == "pmi", "value"].astype(float)
    assert 40 < pmi.min() and pmi.max() < 60


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path):
    args = dict(leads=500, start=START, days=60)
    generate_landing_zone(tmp_path / "a", seed=3, **args)
    generate_landing_zone(tmp_path / "b", seed=3, **args)
    generate_landing_zone(tmp_path / "c", seed=4, **args)
    first = all_files(tmp_path / "a")
    assert first == all_files(tmp_path / "b")
    other = all_files(tmp_path / "c")
    assert first.keys() - other.keys() or any(
        first[k] != other[k] for k in first.keys() & other.keys()
    )


def test_a_lead_is_delivered_again_when_its_status_changes(landing):
    out, _ = landing
    leads = read(out, "leads").dropna(subset=["lead_id"]).sort_values(["lead_id", "updated_at"])
    versions = leads.groupby("lead_id").agg(
        deliveries=("delivery", "nunique"),
        statuses=("status", "nunique"),
        first=("updated_at", "min"),
        last=("updated_at", "max"),
    )
    changed = versions[(versions["deliveries"] > 1) & (versions["statuses"] > 1)]
    assert len(changed) > LEADS / 4
    assert (changed["last"] > changed["first"]).all()


def test_a_converted_lead_points_at_its_new_opportunity(landing):
    out, _ = landing
    leads = read(out, "leads")
    converted = leads[(leads["status"] == "converted") & leads["lead_id"].notna()]
    assert len(converted) > 0
    assert (
        converted["converted_at"].notna().all()
        and converted["converted_opportunity_id"].notna().all()
    )
    opps = read(out, "opportunities")
    first = opps.sort_values("updated_at").drop_duplicates("opportunity_id")
    joined = converted.merge(first, left_on="converted_opportunity_id", right_on="opportunity_id")
    assert len(joined) >= 0.95 * len(converted)  # the rest: late rows not yet delivered
    assert (joined["lead_id_x"] == joined["lead_id_y"]).all()
    assert (joined["converted_at"].str[:10] == joined["created_at_y"].str[:10]).all()


def test_each_stage_change_is_in_the_stage_history(landing):
    out, _ = landing
    history = read(out, "opportunity_stage_history")
    assert not history.duplicated(["opportunity_id", "changed_at"]).any()
    opps = read(out, "opportunities")
    closed = opps[opps["is_closed"] == "true"]
    assert closed["closed_at"].notna().all()
    assert set(closed.loc[closed["is_won"] == "true", "stage"]) <= {"closed_won", "Closed Won!!"}
    keys = set(zip(history["opportunity_id"], history["changed_at"], strict=True))
    found = sum(
        (o, t) in keys for o, t in zip(opps["opportunity_id"], opps["updated_at"], strict=True)
    )
    assert found >= 0.97 * len(opps)  # the rest: late history rows not yet delivered


def test_one_leads_delivery_is_repeated_byte_for_byte(landing):
    out, summary = landing
    copies = list((out / "leads").glob("*/leads__redelivery_*.csv"))
    assert len(copies) == 1 and summary.mess["redelivered_files"] == 1
    original_day = copies[0].stem.split("__redelivery_")[1]
    assert original_day < copies[0].parent.name
    assert copies[0].read_bytes() == (out / "leads" / original_day / "leads.csv").read_bytes()


def test_about_one_percent_of_cdc_rows_arrive_late(landing):
    out, summary = landing
    leads = read(out, "leads")
    late = leads["updated_at"].str[:10] < leads["delivery"]
    assert 0.002 < late.mean() < 0.03
    days_late = (
        pd.to_datetime(leads["delivery"]) - pd.to_datetime(leads["updated_at"].str[:10])
    ).dt.days
    assert days_late[late].between(1, 3).all()
    assert summary.mess["late_rows"] >= late.sum()


def test_a_few_invalid_rows_are_kept_in_the_daily_files(landing):
    out, summary = landing
    leads = read(out, "leads")
    opps = read(out, "opportunities")
    found = {
        "lead_null_id": leads["lead_id"].isna().sum(),
        "lead_malformed_email": (~leads["email"].dropna().str.contains("@")).sum(),
        "opportunity_negative_amount": (opps["amount"].astype(float) < 0).sum(),
        "opportunity_unknown_stage": (opps["stage"] == "Closed Won!!").sum(),
        "opportunity_close_date_before_created": (
            opps["close_date"] < opps["created_at"].str[:10]
        ).sum(),
    }
    for kind, count in found.items():
        rows = len(leads) if kind.startswith("lead") else len(opps)
        assert 1 <= count <= max(3, 0.002 * rows), kind
        assert summary.mess[kind] == count, kind


def test_refuses_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(
        ValueError,
        match="Refusing to write into .*not a landing zone written by salespipe generate",
    ):
        generate_landing_zone(tmp_path, leads=10, days=5)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_replaces_a_landing_zone_it_wrote_before(tmp_path):
    out = tmp_path / "zone"
    generate_landing_zone(out, leads=50, days=10, start=START)
    generate_landing_zone(out, leads=50, days=4, start=dt.date(2025, 6, 1))
    assert sorted(p.name for p in (out / "leads").iterdir()) == [
        "2025-06-01",
        "2025-06-02",
        "2025-06-03",
        "2025-06-04",
    ]
    (out / "leads" / "stray.csv").write_text("x")
    generate_landing_zone(out, leads=50, days=2, start=START)  # stray files inside tables go too
    assert not (out / "leads" / "stray.csv").exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"leads": 0}, "leads must be an integer of at least 1"),
        ({"days": 0}, "days must be an integer of at least 1"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"start": "2024-01-01"}, "start must be a date"),
    ],
)
def test_bad_arguments_raise_a_clear_error(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate_landing_zone(tmp_path / "zone", **kwargs)
    assert not (tmp_path / "zone").exists()


def test_refuses_a_file_as_output(tmp_path):
    target = tmp_path / "landing"
    target.write_text("")
    with pytest.raises(ValueError, match="it is a file"):
        generate_landing_zone(target, leads=10, days=5)
