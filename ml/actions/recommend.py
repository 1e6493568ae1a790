"""One next-best action per open lead and night, ranked, with the reason in words.

Pure functions: :func:`next_best_actions` takes tonight's scored leads (``ml.lead_scores``
joined with their ``lead_features`` row) and the rules, and returns the rows of
``ml.next_best_actions``. Deals get no action yet: ``ml.opportunity_scores`` is written by
the deal scoring DAG, after this one runs in the lead scoring DAG, and no deal rules
exist yet.
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
    "association_leads_without_action", "association_note",
)  # fmt: skip


def next_best_actions(
    leads: pd.DataFrame, rules: tuple[Rule, ...], association: pd.DataFrame, action_date: date
) -> pd.DataFrame:
    """The rows of ``ml.next_best_actions`` for ``action_date``.

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
    by_action = {rule.action: rule for rule in rules}
    order = {rule.action: i for i, rule in enumerate(rules)}
    frame = leads.reset_index(drop=True).copy()
    frame["action"] = assign(frame, rules)
    frame["_order"] = frame["action"].map(order)
    frame = frame.sort_values(
        ["_order", "conversion_probability", "lead_id"], ascending=[True, False, True],
        kind="stable", ignore_index=True,
    )  # fmt: skip
    frame["rank"] = np.arange(1, len(frame) + 1)
    frame["rep_rank"] = frame.groupby(frame["owner_rep_id"].fillna(""), sort=False).cumcount() + 1
    reasons, conditions, positives = [], [], []
    for _, lead in frame.iterrows():
        rule = by_action[lead["action"]]
        reasons.append(rule.describe(lead))
        conditions.append(json.dumps(
            [{"field": f, "condition": c, "value": _plain(lead.get(f))}
             for f, c in rule.when.items()]
        ))  # fmt: skip
        factors = json.loads(lead["top_factors"]) if lead["top_factors"] else {}
        positives.append(json.dumps(factors.get("positive", [])))
    assoc = association.set_index("action") if len(association) else None

    def stat(column: str) -> pd.Series:
        if assoc is None or column not in assoc:
            return pd.Series([None] * len(frame), dtype=object)
        return frame["action"].map(assoc[column])

    return pd.DataFrame(
        {
            "action_date": pd.Timestamp(action_date),
            "entity_type": "lead",
            "entity_id": frame["lead_id"],
            "owner_rep_id": frame["owner_rep_id"],
            "rank": frame["rank"].astype("int64"),
            "rep_rank": frame["rep_rank"].astype("int64"),
            "action": frame["action"],
            "action_label": frame["action"].map({r.action: r.label for r in rules}),
            "reason": reasons,
            "rule_conditions": conditions,
            "top_factors": positives,
            "conversion_probability": frame["conversion_probability"].astype("float64"),
            "grade": frame["grade"],
            "model_name": frame["model_name"],
            "model_version": frame["model_version"],
            "association_rate_with_action": stat("rate_with").astype("float64"),
            "association_rate_without_action": stat("rate_without").astype("float64"),
            "association_leads_with_action": stat("leads_with").astype("Int64"),
            "association_leads_without_action": stat("leads_without").astype("Int64"),
            "association_note": stat("note").astype(object),
        },
        columns=list(COLUMNS),
    )


def _plain(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value if isinstance(value, (int, float, str)) else str(value)
