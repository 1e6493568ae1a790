"""The deal part of the run summary (issue 15 item 8): the deals most at risk, last
week's pipeline waterfall with its identity, and the weighted pipeline by period, read
from a small published warehouse in the summary's one connection and printed exactly."""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ml.cli.run import _print_deals_at_risk, _print_warehouse
from ml.settings import load_settings
from ml.warehouse import summary
from ml.warehouse.pipeline_summary import read_waterfall
from ml.warehouse.summary import read_night_summary

NIGHT = date(2024, 5, 31)  # in 2024-Q2; the week compared from 2024-05-24

FLOW_COLUMNS = (
    "snapshot_date, comparison, compared_with_date, grain, period_start, opportunity_id, "
    "start_amount, new_amount, increase_amount, decrease_amount, won_amount, lost_amount, "
    "moved_out_amount, moved_in_amount, end_amount"
)
# (deal, start, new, increase, decrease, won, lost, moved out, moved in, end): each row
# reconciles, as the mart's do; Q2 totals 260 + 40 + 25 - 5 - 30 - 15 - 60 + 35 = 250
Q2_WEEK = (
    ("O1", 100, 0, 0, 0, 0, 0, 0, 0, 100),  # unchanged
    ("O2", 50, 0, 25, 0, 0, 0, 0, 0, 75),  # amount up
    ("O3", 0, 40, 0, 0, 0, 0, 0, 0, 40),  # new
    ("O4", 30, 0, 0, 0, 30, 0, 0, 0, 0),  # won
    ("O5", 20, 0, 0, 5, 0, 15, 0, 0, 0),  # cut by 5, then lost
    ("O6", 60, 0, 0, 0, 0, 0, 60, 0, 0),  # pushed out to Q3
    ("O7", 0, 0, 0, 0, 0, 0, 0, 35, 35),  # pulled in from Q3
)
# rows the waterfall must leave out: O6 arriving in Q3, the day comparison, the month grain,
# and an older night
OTHER_FLOW = (
    (NIGHT, "week", "quarter", date(2024, 7, 1), ("O6", 0, 0, 0, 0, 0, 0, 0, 60, 60)),
    (NIGHT, "day", "quarter", date(2024, 4, 1), ("O3", 0, 40, 0, 0, 0, 0, 0, 0, 40)),
    (NIGHT, "week", "month", date(2024, 5, 1), ("O1", 100, 0, 0, 0, 0, 0, 0, 0, 100)),
    (date(2024, 5, 30), "week", "quarter", date(2024, 4, 1), ("O9", 999, 0, 0, 0, 0, 0, 0, 0, 999)),
)  # fmt: skip
PUSHED = {"label": "Times the close date was pushed", "value": 2, "feature": "pushes"}
# (deal, win, slip, expected close period, amount, factors against it, method)
SCORES = (
    ("O1", 0.6, 0.2, date(2024, 6, 1), 100, [{"label": "Days in the current stage", "value": 40}]),
    ("O2", 0.6, 0.7, date(2024, 7, 1), 75, []),
    ("O3", 0.25, 0.9, date(2024, 7, 1), 40, [PUSHED]),
    ("O7", 0.4, 0.1, date(2024, 6, 1), 35, []),
)  # fmt: skip


def publish(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema meta; create schema ml; create schema marts")
        con.execute(f"create table meta.publication as select date '{NIGHT}' as business_date")
        con.execute(
            "create table ml.lead_scores (lead_id varchar, score_date date, grade varchar, "
            "model_name varchar, model_version varchar, scoring_method varchar)"
        )
        amounts = FLOW_COLUMNS.split(", opportunity_id, ")[1].replace(",", " double,")
        con.execute(
            "create table marts.pipeline_flow (snapshot_date date, comparison varchar, "
            "compared_with_date date, grain varchar, period_start date, opportunity_id varchar, "
            f"{amounts} double)"
        )
        rows = [(NIGHT, "week", "quarter", date(2024, 4, 1), r) for r in Q2_WEEK] + list(OTHER_FLOW)
        for night, comparison, grain, period, (deal, *amounts) in rows:
            con.execute(
                f"insert into marts.pipeline_flow values ({', '.join(['?'] * 15)})",
                [night, comparison, night.fromordinal(night.toordinal() - 7), grain, period, deal,
                 *amounts],
            )  # fmt: skip
        con.execute(
            "create table ml.opportunity_scores (opportunity_id varchar, score_date date, "
            "win_probability double, expected_value double, slip_probability double, "
            "expected_close_period date, top_factors varchar, scoring_method varchar)"
        )
        con.execute(
            "create table marts.opportunity_features (opportunity_id varchar, as_of_date date, "
            "amount_in_default_currency double)"
        )
        for deal, win, slip, period, amount, against in SCORES:
            factors = json.dumps({"positive": [], "negative": against})
            con.execute(
                "insert into ml.opportunity_scores values (?, ?, ?, ?, ?, ?, ?, 'model')",
                [deal, NIGHT, win, win * amount, slip, period, factors],
            )
            con.execute(
                "insert into marts.opportunity_features values (?, ?, ?)", [deal, NIGHT, amount]
            )
        # the night before: neither at risk nor weighted tonight
        con.execute(
            "insert into ml.opportunity_scores values ('O8', date '2024-05-30', 0.5, 500, 0.99, "
            "date '2024-06-01', '{\"positive\": [], \"negative\": []}', 'model')"
        )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    settings = load_settings({"SALESPIPE_HOME": str(tmp_path / "home")})
    settings.warehouse.parent.mkdir(parents=True)
    publish(settings.warehouse)
    return tmp_path / "home"


def test_the_run_summary_prints_risk_waterfall_and_weighted_pipeline(home, caplog):
    settings = load_settings({"SALESPIPE_HOME": str(home)})
    caplog.set_level(logging.INFO, logger="salespipe")

    _print_warehouse(settings)

    lines = caplog.messages
    shown = lines[lines.index("Deals most at risk on 2024-05-31 (ml.opportunity_scores, model):") :]
    assert shown == [
        "Deals most at risk on 2024-05-31 (ml.opportunity_scores, model):",
        "  O3: slip 90%, win 25%, amount 40; against it: Times the close date was pushed 2",
        "  O2: slip 70%, win 60%, amount 75; against it: none stood out",
        "  O1: slip 20%, win 60%, amount 100; against it: Days in the current stage 40",
        "  O7: slip 10%, win 40%, amount 35; against it: none stood out",
        "",
        "Pipeline waterfall for deals closing in 2024-Q2, 2024-05-24 to 2024-05-31 "
        "(marts.pipeline_flow):",
        "  start                    260.00      5 deals",
        "  + new                     40.00      1 deals",
        "  + increases               25.00      1 deals",
        "  - decreases                5.00      1 deals",
        "  - won                     30.00      1 deals",
        "  - lost                    15.00      1 deals",
        "  - pushed out              60.00      1 deals",
        "  + pulled in               35.00      1 deals",
        "  = end                    250.00      4 deals",
        "  start + new + increases - decreases - won - lost - pushed out + pulled in = end:",
        "  260.00 + 40.00 + 25.00 - 5.00 - 30.00 - 15.00 - 60.00 + 35.00 = 250.00 "
        "(reconciles to the cent)",
        "  (pushed out / pulled in: the close date moved out of / into the quarter)",
        "",
        "Weighted pipeline on 2024-05-31 by expected close month (ml.opportunity_scores: "
        "amount x win probability):",
        "  2024-06                 74 of              135 in     2 deals",
        "  2024-07                 55 of              115 in     2 deals",
        "  total                  129 of              250 in     4 deals",
    ]


def test_the_deal_part_is_read_in_the_summarys_one_connection(home, monkeypatch):
    opened = []
    connect = duckdb.connect
    monkeypatch.setattr(
        summary.duckdb, "connect", lambda *a, **k: opened.append(a) or connect(*a, **k)
    )

    night = read_night_summary(load_settings({"SALESPIPE_HOME": str(home)}).warehouse)

    assert len(opened) == 1
    assert [row[0] for row in night.deals_at_risk] == ["O3", "O2", "O1", "O7"]
    assert night.waterfall.end == (250.0, 4) and night.waterfall.difference == 0
    assert [(p.period_start, p.deals) for p in night.weighted_pipeline] == [
        (date(2024, 6, 1), 2), (date(2024, 7, 1), 2),
    ]  # fmt: skip


def test_a_night_without_deal_tables_leaves_the_deal_part_out(tmp_path):
    path = tmp_path / "leads_only.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema meta")
        con.execute(f"create table meta.publication as select date '{NIGHT}' as business_date")

    night = read_night_summary(path)

    assert night.deals_at_risk is None
    assert night.waterfall is None
    assert night.weighted_pipeline is None


def test_a_quarter_without_pipeline_has_no_waterfall(home):
    with duckdb.connect(str(load_settings({"SALESPIPE_HOME": str(home)}).warehouse)) as con:
        assert read_waterfall(con, date(2025, 1, 15)) is None
        # the month grain holds May's one row (O1, unchanged)
        may = read_waterfall(con, NIGHT, grain="month")
    assert (may.period_start, may.start, may.end) == (date(2024, 5, 1), (100.0, 1), (100.0, 1))


def test_a_deal_scored_by_the_stage_win_rates_says_what_they_know(caplog):
    caplog.set_level(logging.INFO, logger="salespipe")
    against = {"positive": [], "negative": [{"label": "Time in stage vs usual", "value": "2.4"}]}
    nothing = {"positive": [{"label": "Stage", "value": "proposal"}], "negative": []}
    rows = [
        ("O1", 0.18, 1.0, "stage_win_rate", 6970.0, json.dumps(against)),
        ("O2", 0.67, 1.0, "stage_win_rate", 8220.0, json.dumps(nothing)),
    ]
    _print_deals_at_risk(rows, NIGHT)
    assert caplog.messages[-2:] == [
        "  O1: slip 100%, win 18%, amount 6,970; against it: Time in stage vs usual 2.4",
        "  O2: slip 100%, win 67%, amount 8,220; against it: none stood out (scored by the "
        "stage win rates, which know only its stage, time in it and amount: no deal model "
        "in use)",
    ]
