"""How often leads (deals) in an action's situation converted (were won) when the action
happened, against when it did not: an **association**, not an effect (reps choose whom to
call, and the leads or deals they chose differ in ways no rule sees).

Pure function on past nights: a past scored lead or deal whose label window has closed,
the action its rule gave it that night (the same rules as tonight), whether an activity
of the rule's ``done_when`` types happened within its days after the night, and whether
the lead converted (the deal was won) within the label window after the night.
"""

from __future__ import annotations

import pandas as pd

from ml.actions.rules import Rule, assign

MIN_LEADS_PER_SIDE = 20
NOTE = (
    "association, not an effect: of {with_} past {noun} in this situation where the action "
    "happened, {rate_with:.0%} {verb}; of {without} where it did not, {rate_without:.0%}"
)
TOO_FEW = (
    "not enough history: {with_} past {noun} in this situation with the action and {without} "
    "without (at least {minimum} of each are needed)"
)
# per entity: the outcome column of the history, and the words of the note
OUTCOMES = {"lead": ("converted", "leads", "converted"), "deal": ("won", "deals", "were won")}


def association_by_action(
    history: pd.DataFrame, rules: tuple[Rule, ...], entity: str = "lead"
) -> pd.DataFrame:
    """Per action: leads (deals) with and without it, their conversion (win) rates, and a
    note in words.

    Args:
        history: one row per past night and lead (deal), with the fields the rules read,
            ``done_<action>`` booleans per action (did it happen within its window) and
            ``converted`` (deals: ``won``) within the label window after that night.
        entity: ``lead`` or ``deal``.

    Returns:
        Columns ``action, leads_with, leads_without, rate_with, rate_without, note``; the
        rates are null below :data:`MIN_LEADS_PER_SIDE` leads on either side.
    """
    outcome, noun, verb = OUTCOMES[entity]
    rows = []
    actions = assign(history, rules) if len(history) else pd.Series(dtype=object)
    for rule in rules:
        mine = history[(actions == rule.action).to_numpy()] if len(history) else history
        done = mine.get(f"done_{rule.action}", pd.Series(dtype=bool)).astype(bool)
        converted = mine.get(outcome, pd.Series(dtype=bool)).astype(bool)
        with_, without = int(done.sum()), int((~done).sum())
        if with_ >= MIN_LEADS_PER_SIDE and without >= MIN_LEADS_PER_SIDE:
            rate_with = float(converted[done].mean())
            rate_without = float(converted[~done].mean())
            note = NOTE.format(with_=with_, without=without, rate_with=rate_with,
                               rate_without=rate_without, noun=noun, verb=verb)  # fmt: skip
        else:
            rate_with = rate_without = None
            note = TOO_FEW.format(
                with_=with_, without=without, minimum=MIN_LEADS_PER_SIDE, noun=noun
            )
        rows.append((rule.action, with_, without, rate_with, rate_without, note))
    return pd.DataFrame(
        rows, columns=["action", "leads_with", "leads_without", "rate_with", "rate_without", "note"]
    )
