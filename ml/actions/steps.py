"""Next-best actions for leads as the lead DAG calls them: one step that replaces a
date's lead rows of ``ml.next_best_actions`` (the deal rows are
:mod:`ml.actions.deal_steps`'s: each step replaces only its own ``entity_type``).

The rules are loaded and checked first: a missing or invalid rule stops the step before
it reads or writes anything (:class:`ml.actions.rules.RulesError`).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from ml.actions.association import association_by_action
from ml.actions.recommend import next_best_actions
from ml.actions.rules import DEFAULT_RULES, LEAD, Rule, load_rules
from ml.catalog import table_for, write_partition
from ml.lead_scoring.config import lead_scoring_config
from ml.settings import Settings, load_settings
from ml.warehouse.tables import table_exists

log = logging.getLogger(__name__)
TABLE = "ml.next_best_actions"
_SCORED = """
    select scores.lead_id, scores.score_date, scores.conversion_probability, scores.score,
           scores.percentile, scores.grade, scores.is_stale, scores.top_factors,
           scores.model_name, scores.model_version, features.* exclude (lead_id)
    from ml.lead_scores as scores
    inner join marts.lead_features as features
        on features.lead_id = scores.lead_id and features.as_of_date = scores.score_date
"""


def rules_file(settings: Settings) -> Path:
    """``<home>/next_best_actions.yml`` if it exists, else the shipped ``ml/actions/rules.yml``."""
    own = settings.home / "next_best_actions.yml"
    return own if own.exists() else DEFAULT_RULES


def write_next_best_actions(business_date: date, settings: Settings | None = None) -> int:
    """Rank tonight's open leads by their next-best action and replace ``business_date``'s
    lead rows of ``ml.next_best_actions``; returns the rows written.

    Raises:
        ml.actions.rules.RulesError: the rules file is missing or invalid.
    """
    settings = settings or load_settings()
    rules = load_rules(rules_file(settings))
    window = lead_scoring_config(settings).label_window_days
    with duckdb.connect(str(settings.work_warehouse)) as con:
        if not table_exists(con, "ml", "lead_scores"):
            leads = history = pd.DataFrame()
        else:
            leads = con.execute(
                f"{_SCORED} where scores.score_date = ? order by scores.lead_id", [business_date]
            ).df()
            history = read_history(con, rules, business_date, window)
    if leads.empty:
        log.warning("no lead scores for %s: no next-best actions", business_date)
    association = association_by_action(history, rules)
    actions = (
        next_best_actions(leads, rules, association, business_date)
        if len(leads)
        else (pd.DataFrame())
    )
    if actions.empty:  # still replace the date's rows: a rerun with no leads leaves none
        actions = pd.DataFrame(columns=table_for(TABLE).column_names)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        written = write_partition(
            con, TABLE, actions, {"action_date": business_date, "entity_type": LEAD}
        )
    log.info("wrote %s next-best actions for %s", f"{written:,}", business_date)
    return written


def read_history(
    con: duckdb.DuckDBPyConnection, rules: tuple[Rule, ...], business_date: date, window_days: int
) -> pd.DataFrame:
    """Past scored leads whose label window has closed by ``business_date``, with whether
    each rule's action happened after that night and whether the lead converted."""
    if not (
        table_exists(con, "marts", "lead_outcomes")
        and table_exists(con, "intermediate", "int_lead_activities_aggregated_daily")
    ):
        return pd.DataFrame()
    done = []
    for rule in rules:
        count = " + ".join(f"coalesce(activities_{t}, 0)" for t in rule.done_types)
        done.append(
            f"""exists (select 1 from intermediate.int_lead_activities_aggregated_daily as a
                where a.lead_id = past.lead_id and a.activity_date > past.score_date
                  and a.activity_date <= past.score_date + {rule.done_within_days}
                  and {count} > 0) as done_{rule.action}"""
        )
    last_night = business_date - timedelta(days=window_days)
    return con.execute(
        f"""
        select past.*, {", ".join(done)},
               coalesce(outcomes.converted_at > past.score_date
                        and outcomes.converted_at < past.score_date + {window_days + 1},
                        false) as converted
        from ({_SCORED} where scores.score_date <= ?) as past
        left join marts.lead_outcomes as outcomes using (lead_id)
        """,
        [last_night],
    ).df()
