"""Next-best actions on ten leads: the first matching rule decides, ranks follow urgency
then probability, the reason is in words with the lead's values, the association is
computed only with enough history, and a broken rules file stops with an exact message."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.actions.association import MIN_LEADS_PER_SIDE, association_by_action
from ml.actions.recommend import COLUMNS, next_best_actions
from ml.actions.rules import DEFAULT_RULES, RulesError, assign, load_rules

NIGHT = date(2024, 7, 18)
FACTORS = json.dumps({"positive": [{"feature": "status", "label": "Lead status",
                                    "value": "qualified", "impact": 1.2,
                                    "probability_effect": 0.27}], "negative": []})  # fmt: skip


def ten_leads() -> pd.DataFrame:
    """Ten open leads: two call_today, two book_demo, one re_engage, one follow_up, four
    nurture (with the shipped rules)."""
    rows = [
        # lead, rep, p, grade, stale, last14, since_last, total, demos
        ("L01", "R1", 0.62, "A", False, 3, 4, 6, 1),    # call_today
        ("L02", "R2", 0.41, "B", False, 1, 2, 3, 0),    # call_today
        ("L03", "R1", 0.55, "A", False, 0, 20, 5, 0),   # book_demo (no recent activity)
        ("L04", "R2", 0.20, "C", False, 2, 0, 2, 0),    # book_demo (contact today)
        ("L05", "R1", 0.30, None, True, 0, 40, 3, 0),   # re_engage (stale, score 30)
        ("L06", "R1", 0.70, "A", False, 0, 16, 1, 1),   # follow_up
        ("L07", "R2", 0.05, "D", False, 0, 5, 1, 0),    # nurture
        ("L08", "R2", 0.04, None, True, 0, 60, 0, 0),   # nurture (stale, score 4)
        ("L09", None, 0.12, "C", False, 0, 3, 1, 0),    # nurture (C, one activity)
        ("L10", "R1", 0.09, "D", False, 4, 1, 4, 0),    # nurture (D)
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=[
        "lead_id", "owner_rep_id", "conversion_probability", "grade", "is_stale",
        "activities_last_14_days", "days_since_last_activity", "activities_total",
        "activities_demo"])  # fmt: skip
    frame["score"] = np.rint(frame["conversion_probability"] * 100).astype(int)
    frame["lead_age_days"] = 50
    frame["top_factors"] = FACTORS
    frame["model_name"], frame["model_version"] = "lead_scoring", "3"
    return frame


def test_the_first_matching_rule_gives_each_lead_its_action():
    actions = assign(ten_leads(), load_rules())
    assert actions.tolist() == [
        "call_today", "call_today", "book_demo", "book_demo", "re_engage", "follow_up",
        "nurture", "nurture", "nurture", "nurture",
    ]  # fmt: skip


def test_ranks_follow_urgency_then_probability_overall_and_per_rep():
    rules = load_rules()
    out = next_best_actions(ten_leads(), rules, association_by_action(pd.DataFrame(), rules), NIGHT)
    assert tuple(out.columns) == COLUMNS
    assert out["entity_id"].tolist() == [
        "L01", "L02", "L03", "L04", "L05", "L06", "L09", "L10", "L07", "L08"
    ]  # fmt: skip
    assert out["rank"].tolist() == list(range(1, 11))
    r1 = out[out["owner_rep_id"] == "R1"]
    assert r1["entity_id"].tolist() == ["L01", "L03", "L05", "L06", "L10"]
    assert r1["rep_rank"].tolist() == [1, 2, 3, 4, 5]
    assert set(out["entity_type"]) == {"lead"}
    assert (out["action_date"] == pd.Timestamp(NIGHT)).all()


def test_the_reason_is_in_words_with_the_leads_values_and_the_rule_behind_it():
    rules = load_rules()
    out = next_best_actions(ten_leads(), rules, association_by_action(pd.DataFrame(), rules), NIGHT)
    first = out.iloc[0]
    assert first["reason"] == (
        "Call today: grade A, 3 activities in the last 14 days, no contact for 4 days"
    )
    conditions = json.loads(first["rule_conditions"])
    assert {"field": "grade", "condition": ["A", "B"], "value": "A"} in conditions
    assert json.loads(first["top_factors"])[0]["feature"] == "status"
    stale = out[out["entity_id"] == "L05"].iloc[0]
    assert stale["reason"] == "Re-engage: score 30 but no activity for 40 days (lead 50 days old)"


def history(with_converted: int, with_: int, without_converted: int, without: int) -> pd.DataFrame:
    """Past call_today situations: ``with_`` where a call followed, ``without`` where not."""
    base = ten_leads().iloc[[0]]
    rows = pd.concat([base] * (with_ + without), ignore_index=True)
    rules = load_rules()
    for rule in rules:
        rows[f"done_{rule.action}"] = False
    rows.loc[: with_ - 1, "done_call_today"] = True
    rows["converted"] = False
    rows.loc[: with_converted - 1, "converted"] = True
    rows.loc[with_ : with_ + without_converted - 1, "converted"] = True
    return rows


def test_the_association_compares_converted_shares_with_and_without_the_action():
    table = association_by_action(history(12, 30, 6, 40), load_rules()).set_index("action")
    call = table.loc["call_today"]
    assert (call["leads_with"], call["leads_without"]) == (30, 40)
    assert call["rate_with"] == pytest.approx(0.4) and call["rate_without"] == pytest.approx(0.15)
    assert call["note"] == (
        "association, not an effect: of 30 past leads in this situation where the action "
        "happened, 40% converted; of 40 where it did not, 15%"
    )
    assert table.loc["nurture", "leads_with"] == 0


def test_too_little_history_gives_no_rate_and_says_why():
    call = (
        association_by_action(history(2, 5, 6, 40), load_rules())
        .set_index("action")
        .loc["call_today"]
    )
    assert call["rate_with"] is None and call["rate_without"] is None
    assert call["note"] == (
        f"not enough history: 5 past leads in this situation with the action and 40 without "
        f"(at least {MIN_LEADS_PER_SIDE} of each are needed)"
    )


def broken(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "rules.yml"
    text = DEFAULT_RULES.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  - action: nurture\n    label: Nurture by email\n    when: {}\n",
         "  - action: nurture\n    label: Nurture by email\n    when: {grade: [D]}\n",
         "{path}: the last rule (nurture) has conditions; the last rule must be a catch-all "
         "(`when: {{}}`) so that every open lead gets an action"),
        ("      grade: [A, B]\n      activities_last_14_days",
         "      grade: [A, B]\n      visits_this_week",
         "{path}: rule 1 (call_today): unknown field 'visits_this_week' in `when`; known: "
         "activities_call, activities_demo, activities_email, activities_last_14_days, "
         "activities_meeting, activities_total, activities_web_visit, company_size_band, "
         "conversion_probability, days_since_last_activity, grade, is_stale, lead_age_days, "
         "percentile, score, source, status, title_seniority"),
        ('    reason: "grade {grade}, {activities_total} activities so far and no demo yet"\n',
         "",
         "{path}: rule 2 (book_demo): `reason` is missing"),
        ("{days_since_last_activity} days (lead", "{days_idle} days (lead",
         "{path}: rule 3 (re_engage): the reason uses unknown field(s) days_idle"),
    ],
)  # fmt: skip
def test_a_missing_or_invalid_rule_stops_with_an_exact_message(tmp_path, old, new, message):
    path = broken(tmp_path, old, new)
    with pytest.raises(RulesError) as raised:
        load_rules(path)
    assert str(raised.value) == message.format(path=path)


def test_a_missing_rules_file_stops_with_its_path(tmp_path):
    with pytest.raises(RulesError) as raised:
        load_rules(tmp_path / "absent.yml")
    absent = tmp_path / "absent.yml"
    assert str(raised.value) == f"next-best-action rules file {absent} does not exist"
