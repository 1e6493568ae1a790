"""Next-best actions for deals as the deal DAG calls them: one step that replaces a
date's deal rows of ``ml.next_best_actions`` (the lead rows are :mod:`ml.actions.steps`'s).

The deal rules are loaded and checked first: a missing or invalid rule stops the step
before it reads or writes anything (:class:`ml.actions.rules.RulesError`).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from ml.actions.association import association_by_action
from ml.actions.recommend import next_best_deal_actions
from ml.actions.rules import DEAL, DEFAULT_DEAL_RULES, Rule, deal_situation, load_rules
from ml.catalog import table_for, write_partition
from ml.opportunity_scoring.config import opportunity_scoring_config
from ml.settings import Settings, load_settings
from ml.warehouse.tables import table_exists

log = logging.getLogger(__name__)
TABLE = "ml.next_best_actions"
_SCORED = """
    select scores.opportunity_id, scores.score_date, scores.win_probability, scores.score,
           scores.slip_probability, scores.expected_value, scores.top_factors,
           scores.model_name, scores.model_version,
           features.* exclude (opportunity_id)
    from ml.opportunity_scores as scores
    inner join marts.opportunity_features as features
        on features.opportunity_id = scores.opportunity_id
        and features.as_of_date = scores.score_date
"""


def deal_rules_file(settings: Settings) -> Path:
    """``<home>/next_best_deal_actions.yml`` if it exists, else the shipped
    ``ml/actions/deal_rules.yml``."""
    own = settings.home / "next_best_deal_actions.yml"
    return own if own.exists() else DEFAULT_DEAL_RULES


def write_next_best_deal_actions(business_date: date, settings: Settings | None = None) -> int:
    """Rank tonight's scored open deals by their next-best action and replace
    ``business_date``'s deal rows of ``ml.next_best_actions``; returns the rows written.

    The association looks back over past scored nights at least the deal model's
    ``maturity_days`` old (the same label window deal scoring trains on).

    Raises:
        ml.actions.rules.RulesError: the deal rules file is missing or invalid.
    """
    settings = settings or load_settings()
    rules = load_rules(deal_rules_file(settings), entity=DEAL)
    window = opportunity_scoring_config(settings).maturity_days
    with duckdb.connect(str(settings.work_warehouse)) as con:
        if not (
            table_exists(con, "ml", "opportunity_scores")
            and table_exists(con, "marts", "opportunity_features")
        ):
            deals = history = pd.DataFrame()
        else:
            deals = con.execute(
                f"{_SCORED} where scores.score_date = ? order by scores.opportunity_id",
                [business_date],
            ).df()
            history = read_deal_history(con, rules, business_date, window)
    if deals.empty:
        log.warning("no deal scores for %s: no next-best deal actions", business_date)
        actions = pd.DataFrame(columns=table_for(TABLE).column_names)
    else:  # an empty frame still replaces the date's deal rows: a rerun leaves none
        association = association_by_action(
            deal_situation(history) if len(history) else history, rules, DEAL
        )
        actions = next_best_deal_actions(deal_situation(deals), rules, association, business_date)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        written = write_partition(
            con, TABLE, actions, {"action_date": business_date, "entity_type": DEAL}
        )
    log.info("wrote %s next-best deal actions for %s", f"{written:,}", business_date)
    return written


def read_deal_history(
    con: duckdb.DuckDBPyConnection, rules: tuple[Rule, ...], business_date: date, window_days: int
) -> pd.DataFrame:
    """Past scored deals whose label window (``window_days`` after their night) has closed
    by ``business_date``, with whether each rule's action happened after that night (an
    activity of its ``done_when`` types logged on the deal within its days) and whether
    the deal was won within the window."""
    if not (
        table_exists(con, "marts", "opportunity_outcomes")
        and table_exists(con, "staging", "stg_crm__activities")
    ):
        return pd.DataFrame()
    done = []
    for rule in rules:
        types = ", ".join(f"'{t}'" for t in rule.done_types)
        done.append(
            f"""exists (select 1 from staging.stg_crm__activities as a
                where a.opportunity_id = past.opportunity_id
                  and cast(a.occurred_at as date) > past.score_date
                  and cast(a.occurred_at as date) <= past.score_date + {rule.done_within_days}
                  and a.activity_type in ({types})) as done_{rule.action}"""
        )
    last_night = business_date - timedelta(days=window_days)
    return con.execute(
        f"""
        select past.*, {", ".join(done)},
               coalesce(outcomes.outcome = 'won' and outcomes.closed_on > past.score_date
                        and outcomes.closed_on <= past.score_date + {window_days},
                        false) as won
        from ({_SCORED} where scores.score_date <= ?) as past
        left join marts.opportunity_outcomes as outcomes using (opportunity_id)
        """,
        [last_night],
    ).df()
