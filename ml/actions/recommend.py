"""One next-best action per open lead and per open deal and night, ranked, with the reason
in words.

Pure functions: :func:`next_best_actions` takes tonight's scored leads (``ml.lead_scores``
joined with their ``lead_features`` row), :func:`next_best_deal_actions` tonight's scored
deals (``ml.opportunity_scores`` joined with their ``opportunity_features`` row, through
:func:`ml.actions.rules.deal_situation`), each with its rules, and return the rows of
``ml.next_best_actions`` for that entity. Leads and deals are ranked apart: each starts
at rank 1.
"""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd

from ml.actions.rules import Rule, assign

COLUMNS = (
    "action_date", "entity_type", "entity_id", "owner_rep_id", "rank", "rep_rank", "action",
    "action_label", "reason", "rule_conditions", "top_factors", "conversion_probability",
    "grade", "model_name", "model_version", "association_rate_with_action",
    "association_rate_without_action", "association_leads_with_action",
    "association_leads_without_action", "association_note", "negative_factors",
    "win_probability", "slip_probability", "expected_value",
)  # fmt: skip


def next_best_actions(
    leads: pd.DataFrame, rules: tuple[Rule, ...], association: pd.DataFrame, action_date: date
) -> pd.DataFrame:
    """The lead rows of ``ml.next_best_actions`` for ``action_date``.

    Args:
        leads: one row per open lead: ``lead_id``, ``owner_rep_id``, the score columns
            (``conversion_probability``, ``score``, ``percentile``, ``grade``,
            ``is_stale``, ``top_factors``, ``model_name``, ``model_version``) and the
            features the rules read.
        rules: :func:`ml.actions.rules.load_rules`.
        association: :func:`ml.actions.association.association_by_action`'s table.
        action_date: the night.

    Returns:
        One row per lead, ranked: rule order first (the first rule is the most urgent),
        then the probability, highest first; ``rep_rank`` is the same order within each
        owner's leads.
    """
    frame, common = _ranked(leads, "lead_id", "conversion_probability", rules, association)
    return _rows(common, action_date, "lead", frame["lead_id"], {
        "conversion_probability": frame["conversion_probability"].astype("float64"),
        "grade": frame["grade"],
    })  # fmt: skip


def next_best_deal_actions(
    deals: pd.DataFrame, rules: tuple[Rule, ...], association: pd.DataFrame, action_date: date
) -> pd.DataFrame:
    """The deal rows of ``ml.next_best_actions`` for ``action_date``.

    Args:
        deals: one row per open deal: ``opportunity_id``, ``owner_rep_id``, the score
            columns (``win_probability``, ``slip_probability``, ``expected_value``,
            ``top_factors``, ``model_name``, ``model_version``) and the fields the deal
            rules read (:func:`ml.actions.rules.deal_situation`).
        rules: :func:`ml.actions.rules.load_rules` with ``entity="deal"``.
        association: :func:`ml.actions.association.association_by_action`'s table.
        action_date: the night.

    Returns:
        One row per deal, ranked: rule order first, then the expected value (win
        probability times amount), highest first; ``rep_rank`` likewise within each
        owner's deals. ``conversion_probability`` and ``grade`` are null.
    """
    frame, common = _ranked(deals, "opportunity_id", "expected_value", rules, association)
    return _rows(common, action_date, "deal", frame["opportunity_id"], {
        "win_probability": frame["win_probability"].astype("float64"),
        "slip_probability": frame["slip_probability"].astype("float64"),
        "expected_value": frame["expected_value"].astype("float64"),
    })  # fmt: skip


def _ranked(
    entities: pd.DataFrame, key: str, value: str, rules: tuple[Rule, ...], association
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """The entities in rank order, and the columns leads and deals share."""
    by_action = {rule.action: rule for rule in rules}
    order = {rule.action: i for i, rule in enumerate(rules)}
    frame = entities.reset_index(drop=True).copy()
    frame["action"] = assign(frame, rules)
    frame["_order"] = frame["action"].map(order)
    frame = frame.sort_values(
        ["_order", value, key], ascending=[True, False, True], kind="stable", ignore_index=True,
        na_position="last",
    )  # fmt: skip
    rank = np.arange(1, len(frame) + 1)
    rep_rank = frame.groupby(frame["owner_rep_id"].fillna(""), sort=False).cumcount() + 1
    reasons, conditions, positives, negatives = [], [], [], []
    for _, row in frame.iterrows():
        rule = by_action[row["action"]]
        reasons.append(rule.describe(row))
        conditions.append(json.dumps(
            [{"field": f, "condition": c, "value": _plain(row.get(f))}
             for f, c in rule.when.items()]
        ))  # fmt: skip
        factors = json.loads(row["top_factors"]) if row["top_factors"] else {}
        positives.append(json.dumps(factors.get("positive", [])))
        negatives.append(json.dumps(factors.get("negative", [])))
    assoc = association.set_index("action") if len(association) else None

    def stat(column: str) -> pd.Series:
        if assoc is None or column not in assoc:
            return pd.Series([None] * len(frame), dtype=object)
        return frame["action"].map(assoc[column])

    common = {
        "owner_rep_id": frame["owner_rep_id"],
        "rank": pd.Series(rank, dtype="int64"),
        "rep_rank": rep_rank.astype("int64"),
        "action": frame["action"],
        "action_label": frame["action"].map({r.action: r.label for r in rules}),
        "reason": pd.Series(reasons, dtype=object),
        "rule_conditions": pd.Series(conditions, dtype=object),
        "top_factors": pd.Series(positives, dtype=object),
        "negative_factors": pd.Series(negatives, dtype=object),
        "model_name": frame["model_name"],
        "model_version": frame["model_version"],
        "association_rate_with_action": stat("rate_with").astype("float64"),
        "association_rate_without_action": stat("rate_without").astype("float64"),
        "association_leads_with_action": stat("leads_with").astype("Int64"),
        "association_leads_without_action": stat("leads_without").astype("Int64"),
        "association_note": stat("note").astype(object),
    }
    return frame, common


def _rows(
    common: dict[str, pd.Series],
    action_date: date,
    entity_type: str,
    entity_id: pd.Series,
    own: dict[str, pd.Series],
) -> pd.DataFrame:
    """The table's columns in order; the other entity's own columns are null."""
    n = len(entity_id)
    empty = pd.Series([None] * n, dtype=object)
    columns = {
        "action_date": pd.Series([pd.Timestamp(action_date)] * n, dtype="datetime64[ns]"),
        "entity_type": pd.Series([entity_type] * n, dtype=object),
        "entity_id": entity_id,
        **common,
        "conversion_probability": empty.astype("float64"),
        "grade": empty,
        "win_probability": empty.astype("float64"),
        "slip_probability": empty.astype("float64"),
        "expected_value": empty.astype("float64"),
        **own,
    }
    return pd.DataFrame(columns, columns=list(COLUMNS))


def _plain(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value) if not np.isnan(value) else None
    if value is pd.NA:
        return None
    return value if isinstance(value, (int, float, str)) else str(value)
