"""Next-best actions on eight deals: the first matching deal rule decides, ranks follow
urgency then expected value, the reason is in words with the deal's own numbers, the
association counts deals won, and a missing or broken deal rules file stops the step
with an exact message before it reads or writes anything."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from ml.actions.association import association_by_action
from ml.actions.deal_steps import write_next_best_deal_actions
from ml.actions.recommend import COLUMNS, next_best_deal_actions
from ml.actions.rules import DEFAULT_DEAL_RULES, RulesError, assign, deal_situation, load_rules
from ml.settings import load_settings

NIGHT = date(2024, 7, 18)
FACTORS = json.dumps({
    "positive": [{"feature": "stage_index", "label": "Stage", "value": 3, "impact": 0.8,
                  "probability_effect": 0.15}],
    "negative": [{"feature": "close_date_pushes", "label": "Close date pushes", "value": 2,
                  "impact": -0.6, "probability_effect": -0.12}],
})  # fmt: skip


def eight_deals() -> pd.DataFrame:
    """Eight open deals: one escalate, two push_to_close, one re_qualify, two re_engage,
    two advance (with the shipped deal rules)."""
    rows = [
        # deal, rep, win, slip, amount, stage, days, median, pushes, to_close, since_last, 7d
        ("O1", "R1", 0.35, 0.72, 120000.0, "negotiation", 20, 15.0, 1, 5, 3.0, 2),  # escalate
        ("O2", "R2", 0.81, 0.20, 30000.0, "negotiation", 6, 15.0, 0, 9, 1.0, 4),   # push
        ("O3", "R1", 0.64, 0.30, 80000.0, "proposal", 10, 12.0, 0, 0, 2.0, 1),     # push (today)
        ("O4", "R2", 0.22, 0.55, 40000.0, "proposal", 40, 12.0, 2, 30, 9.0, 0),    # re_qualify
        ("O5", "R1", 0.45, 0.40, 20000.0, "qualification", 8, 10.0, 0, 40, 21.0, 0),  # re_engage
        ("O6", None, 0.31, 0.40, 90000.0, "qualification", 8, 10.0, 0, 40, None, 0),  # re_engage
        ("O7", "R1", 0.50, 0.30, 10000.0, "prospecting", 3, 7.0, 1, 60, 4.0, 1),   # advance
        ("O8", "R2", 0.10, 0.50, 60000.0, "proposal", 25, None, 3, 20, 2.0, 0),    # advance
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=[
        "opportunity_id", "owner_rep_id", "win_probability", "slip_probability",
        "amount_in_default_currency", "stage", "days_in_stage", "stage_median_days",
        "close_date_pushes", "days_to_close_date", "days_since_last_activity",
        "activities_7d"])  # fmt: skip
    frame["days_in_stage_vs_median"] = frame["days_in_stage"] / frame["stage_median_days"]
    frame["expected_value"] = frame["win_probability"] * frame["amount_in_default_currency"]
    frame["age_days"] = 30
    frame["close_date"] = pd.Timestamp(NIGHT) + pd.to_timedelta(frame["days_to_close_date"], "D")
    frame["top_factors"] = FACTORS
    frame["model_name"], frame["model_version"] = "opportunity_scoring", "1"
    return deal_situation(frame)


def actions_of(deals: pd.DataFrame) -> pd.DataFrame:
    rules = load_rules(entity="deal")
    return next_best_deal_actions(
        deals, rules, association_by_action(pd.DataFrame(), rules, "deal"), NIGHT
    )


def test_the_first_matching_deal_rule_gives_each_deal_its_action():
    assert assign(eight_deals(), load_rules(entity="deal")).tolist() == [
        "escalate", "push_to_close", "push_to_close", "re_qualify", "re_engage", "re_engage",
        "advance", "advance",
    ]  # fmt: skip


def test_deal_ranks_follow_urgency_then_expected_value_overall_and_per_rep():
    out = actions_of(eight_deals())
    assert tuple(out.columns) == COLUMNS
    # by expected value within an action: push_to_close O3 (51,200) before O2 (24,300),
    # re_engage O6 (27,900) before O5 (9,000), advance O8 (6,000) before O7 (5,000)
    assert out["entity_id"].tolist() == ["O1", "O3", "O2", "O4", "O6", "O5", "O8", "O7"]
    assert out["rank"].tolist() == list(range(1, 9))
    r1 = out[out["owner_rep_id"] == "R1"]
    assert r1["entity_id"].tolist() == ["O1", "O3", "O5", "O7"]
    assert r1["rep_rank"].tolist() == [1, 2, 3, 4]
    assert set(out["entity_type"]) == {"deal"}
    assert out["conversion_probability"].isna().all() and out["grade"].isna().all()
    assert out["win_probability"].tolist() == [0.35, 0.64, 0.81, 0.22, 0.31, 0.45, 0.1, 0.5]


def test_each_reason_is_in_words_with_the_deals_own_numbers():
    reasons = dict(
        zip(*(actions_of(eight_deals())[c] for c in ("entity_id", "reason")), strict=True)
    )
    assert reasons == {
        "O1": "Escalate: slip probability 72% against its close date 2024-07-23, 120,000 at "
              "stake, win probability 35%",
        "O2": "Push to close: win probability 81%, closes on 2024-07-27 (9 days away), "
              "activities in the last 7 days: 4",
        "O3": "Push to close: win probability 64%, closes on 2024-07-18 (0 days away), "
              "activities in the last 7 days: 1",
        "O4": "Re-qualify: close date pushed twice, 40 days in proposal against a median of 12",
        "O5": "Re-engage: no activity for 21 days on a deal with win probability 45% "
              "(qualification, 20,000)",
        "O6": "Re-engage: no activity for 30 days on a deal with win probability 31% "
              "(qualification, 90,000)",
        "O7": "Advance the deal: 3 days in prospecting (median 7), win probability 50%, "
              "last activity 4 days ago",
        "O8": "Advance the deal: 25 days in proposal (median unknown), win probability 10%, "
              "last activity 2 days ago",
    }  # fmt: skip


def test_the_rule_and_factors_behind_a_deal_action_are_kept():
    row = actions_of(eight_deals()).set_index("entity_id").loc["O4"]
    assert json.loads(row["rule_conditions"]) == [
        {"field": "close_date_pushes", "condition": {"min": 2}, "value": 2},
        {"field": "days_in_stage_vs_median", "condition": {"min": 1.5}, "value": 40 / 12},
    ]
    assert json.loads(row["top_factors"])[0]["feature"] == "stage_index"
    assert json.loads(row["negative_factors"])[0]["feature"] == "close_date_pushes"


def test_the_deal_association_compares_the_shares_won_with_and_without_the_action():
    rules = load_rules(entity="deal")
    past = pd.concat([eight_deals().iloc[[3]]] * 60, ignore_index=True)  # re_qualify
    for rule in rules:
        past[f"done_{rule.action}"] = False
    past.loc[:24, "done_re_qualify"] = True  # 25 re-qualified, 35 not
    past["won"] = False
    past.loc[:9, "won"] = True  # 10 of the 25
    past.loc[25:31, "won"] = True  # 7 of the 35
    row = association_by_action(past, rules, "deal").set_index("action").loc["re_qualify"]
    assert (row["leads_with"], row["leads_without"]) == (25, 35)
    assert row["rate_with"] == pytest.approx(0.4) and row["rate_without"] == pytest.approx(0.2)
    assert row["note"] == (
        "association, not an effect: of 25 past deals in this situation where the action "
        "happened, 40% were won; of 35 where it did not, 20%"
    )


def broken(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "next_best_deal_actions.yml"
    text = DEFAULT_DEAL_RULES.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  - action: advance\n    label: Advance the deal\n    when: {}\n",
         "  - action: advance\n    label: Advance the deal\n    when: {stage: [proposal]}\n",
         "{path}: the last rule (advance) has conditions; the last rule must be a catch-all "
         "(`when: {{}}`) so that every open deal gets an action"),
        ("      close_date_pushes: {min: 2}\n", "      pushes: {min: 2}\n",
         "{path}: rule 3 (re_qualify): unknown field 'pushes' in `when`; known: "
         "account_activities_30d, account_activities_7d, account_days_since_last_activity, "
         "account_industry, activities_30d, activities_7d, age_days, "
         "amount_change_in_default_currency, amount_in_default_currency, close_date, "
         "close_date_days_pushed, close_date_pushes, days_in_stage, days_in_stage_vs_median, "
         "days_since_last_activity, days_to_close_date, days_without_activity, "
         "expected_value, owner_closed_deals, owner_win_rate, product, region, score, "
         "slip_probability, stage, stage_index, stage_median_days, win_probability"),
        ("  - action: push_to_close\n    label: Push to close\n",
         "  - action: push_to_close\n",
         "{path}: rule 2 (push_to_close): `label` is missing"),
        ("pushed {close_date_pushes:times}", "pushed {close_date_pushes:thrice}",
         "{path}: rule 3 (re_qualify): the reason's {{close_date_pushes:thrice}} is not a "
         "number format (e.g. {{win_probability:.0%}}, {{amount_in_default_currency:,.0f}}, "
         "{{close_date_pushes:times}})"),
        ('a median of {stage_median_days:.0f}"', 'a median of {grade}"',
         "{path}: rule 3 (re_qualify): the reason uses unknown field(s) grade"),
    ],
)  # fmt: skip
def test_a_missing_or_invalid_deal_rule_stops_with_an_exact_message(tmp_path, old, new, message):
    path = broken(tmp_path, old, new)
    with pytest.raises(RulesError) as raised:
        load_rules(path, entity="deal")
    assert str(raised.value) == message.format(path=path)


def test_a_missing_deal_rules_file_stops_with_its_path(tmp_path):
    absent = tmp_path / "absent.yml"
    with pytest.raises(RulesError) as raised:
        load_rules(absent, entity="deal")
    assert str(raised.value) == f"next-best-action deal rules file {absent} does not exist"


def test_a_broken_deal_rule_stops_the_step_before_it_reads_or_writes(tmp_path):
    settings = load_settings({"SALESPIPE_HOME": str(tmp_path)})
    path = broken(tmp_path, "      days_to_close_date: {min: 0, max: 14}\n",
                  "      days_to_close: {min: 0, max: 14}\n")  # fmt: skip
    assert path == tmp_path / "next_best_deal_actions.yml"
    with pytest.raises(
        RulesError, match=r"rule 2 \(push_to_close\): unknown field 'days_to_close'"
    ):
        write_next_best_deal_actions(NIGHT, settings)
    assert not settings.work_warehouse.exists()
