"""Next-best-action rules: loading and checking ``rules.yml`` (leads) and
``deal_rules.yml`` (deals), and matching leads or deals.

Pure functions on DataFrames; the file format is documented at the top of
``ml/actions/rules.yml`` (the deal file uses the same format, with the deal fields).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

DEFAULT_RULES = Path(__file__).with_name("rules.yml")
DEFAULT_DEAL_RULES = Path(__file__).with_name("deal_rules.yml")
LEAD, DEAL = "lead", "deal"
ACTIVITY_TYPES = ("email", "call", "meeting", "demo", "web_visit")
FIELDS = frozenset(
    {"grade", "score", "conversion_probability", "percentile", "is_stale", "lead_age_days",
     "days_since_last_activity", "activities_total", "activities_last_14_days", "source",
     "status", "title_seniority", "company_size_band"}
    | {f"activities_{t}" for t in ACTIVITY_TYPES}
)  # fmt: skip
# A deal's fields: tonight's ml.opportunity_scores, its marts.opportunity_features row, and
# days_without_activity (days since its last activity, or since it was created if none).
DEAL_FIELDS = frozenset(
    {"win_probability", "score", "slip_probability", "expected_value", "stage", "stage_index",
     "days_in_stage", "stage_median_days", "days_in_stage_vs_median", "age_days",
     "amount_in_default_currency", "amount_change_in_default_currency", "close_date",
     "days_to_close_date", "close_date_pushes", "close_date_days_pushed", "activities_7d",
     "activities_30d", "days_since_last_activity", "days_without_activity",
     "account_activities_7d", "account_activities_30d", "account_days_since_last_activity",
     "owner_closed_deals", "owner_win_rate", "product", "region", "account_industry"}
)  # fmt: skip
FIELDS_OF = {LEAD: FIELDS, DEAL: DEAL_FIELDS}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class RulesError(ValueError):
    """The rules file is missing or invalid; the message names the file and the rule."""


@dataclass(frozen=True)
class Rule:
    """One rule: conditions, the action and reason it gives, and what counts as done."""

    action: str
    label: str
    when: dict[str, Any]
    reason: str
    done_types: tuple[str, ...]
    done_within_days: int
    fields: frozenset[str] = FIELDS

    def matches(self, leads: pd.DataFrame) -> np.ndarray:
        """True per row of ``leads`` where every condition holds."""
        hit = np.ones(len(leads), dtype=bool)
        for field, condition in self.when.items():
            values = leads[field]
            if isinstance(condition, bool):
                hit &= (values.astype("boolean") == condition).fillna(False).to_numpy(bool)
            elif isinstance(condition, list):
                hit &= values.isin(condition).to_numpy(bool)
            else:
                numbers = pd.to_numeric(values, errors="coerce")
                if "min" in condition:
                    hit &= (numbers >= condition["min"]).fillna(False).to_numpy(bool)
                if "max" in condition:
                    hit &= (numbers <= condition["max"]).fillna(False).to_numpy(bool)
        return hit

    def describe(self, row: pd.Series) -> str:
        """The reason in words for one lead or deal: the label, then the filled-in reason."""
        values = {f: row.get(f) for f in self.fields}
        return f"{self.label}: {_REASON.vformat(self.reason, (), values)}"


class _Reason(string.Formatter):
    """Fills a reason: a missing value reads ``unknown``; ``{field}`` shows a whole float
    as an integer; ``{field:.0%}``, ``{field:,.0f}``, ... are Python's number formats;
    ``{field:times}`` reads once, twice, 3 times."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if _missing(value):
            return "unknown"
        if format_spec == "times":
            count = int(value)
            return {1: "once", 2: "twice"}.get(count, f"{count} times")
        if not format_spec:
            return _show(value)
        return format(value, format_spec)


_REASON = _Reason()


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _show(value: Any) -> str:
    if _missing(value):
        return "unknown"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def load_rules(path: Path | None = None, entity: str = LEAD) -> tuple[Rule, ...]:
    """The rules of ``path`` for ``entity`` (``lead`` or ``deal``), checked; ``path``
    defaults to the shipped file of that entity.

    Raises:
        RulesError: the file is missing, not YAML, or a rule is invalid (unknown field,
            no reason, a placeholder that is no field or has a format that is no number
            format, an action given twice, or no catch-all rule at the end).
    """
    path = path or (DEFAULT_DEAL_RULES if entity == DEAL else DEFAULT_RULES)
    kind = "" if entity == LEAD else f"{entity} "
    if not path.exists():
        raise RulesError(f"next-best-action {kind}rules file {path} does not exist")
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise RulesError(f"{path} is not valid YAML: {exc}") from exc
    entries = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise RulesError(f"{path}: no rules (expected a list under `rules:`)")
    fields = FIELDS_OF[entity]
    rules = tuple(_rule(path, i, entry, fields) for i, entry in enumerate(entries, start=1))
    seen: set[str] = set()
    for rule in rules:
        if rule.action in seen:
            raise RulesError(f"{path}: action {rule.action!r} has more than one rule")
        seen.add(rule.action)
    if rules[-1].when:
        raise RulesError(
            f"{path}: the last rule ({rules[-1].action}) has conditions; the last rule must "
            f"be a catch-all (`when: {{}}`) so that every open {entity} gets an action"
        )
    return rules


def _rule(path: Path, number: int, entry: Any, fields: frozenset[str]) -> Rule:
    where = f"{path}: rule {number}"
    if not isinstance(entry, dict):
        raise RulesError(f"{where} must be a mapping, got {entry!r}")
    unknown = sorted(set(entry) - {"action", "label", "when", "reason", "done_when"})
    if unknown:
        raise RulesError(f"{where}: unknown key(s) {', '.join(unknown)}")
    for key in ("action", "label", "reason", "done_when"):
        if not entry.get(key):
            raise RulesError(f"{where} ({entry.get('action', '?')}): `{key}` is missing")
    action = entry["action"]
    where = f"{path}: rule {number} ({action})"
    if not isinstance(action, str) or not _ID.match(action):
        raise RulesError(f"{where}: action must be a lower-case id like call_today")
    when = entry.get("when") or {}
    if not isinstance(when, dict):
        raise RulesError(f"{where}: `when` must be a mapping of field: condition")
    for field, condition in when.items():
        if field not in fields:
            raise RulesError(
                f"{where}: unknown field {field!r} in `when`; known: {', '.join(sorted(fields))}"
            )
        if isinstance(condition, dict):
            if (
                not condition
                or set(condition) - {"min", "max"}
                or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool)
                    for v in condition.values()
                )
            ):
                raise RulesError(f"{where}: {field}: a range is {{min: number, max: number}}")
        elif not isinstance(condition, (bool, list)):
            raise RulesError(
                f"{where}: {field}: a condition is a list of values, a range or true/false"
            )
    parsed = [(f, spec) for _, f, spec, _ in string.Formatter().parse(entry["reason"]) if f]
    placeholders = {f for f, _ in parsed}
    if placeholders - fields:
        raise RulesError(
            f"{where}: the reason uses unknown field(s) {', '.join(sorted(placeholders - fields))}"
        )
    for field, spec in parsed:
        try:
            _REASON.format_field(2.5, spec or "")
        except ValueError:
            raise RulesError(
                f"{where}: the reason's {{{field}:{spec}}} is not a number format "
                "(e.g. {win_probability:.0%}, {amount_in_default_currency:,.0f}, "
                "{close_date_pushes:times})"
            ) from None
    done = entry["done_when"]
    types = done.get("activity_types") if isinstance(done, dict) else None
    days = done.get("within_days") if isinstance(done, dict) else None
    if not types or set(types) - set(ACTIVITY_TYPES) or not isinstance(days, int) or days < 1:
        raise RulesError(
            f"{where}: done_when needs activity_types (of {', '.join(ACTIVITY_TYPES)}) and "
            "within_days (a whole number of days, at least 1)"
        )
    return Rule(
        action, str(entry["label"]), dict(when), str(entry["reason"]), tuple(types), days, fields
    )


def assign(leads: pd.DataFrame, rules: tuple[Rule, ...]) -> pd.Series:
    """The action of each lead (or deal): the first matching rule's (the catch-all
    otherwise)."""
    action = pd.Series(rules[-1].action, index=leads.index, dtype=object)
    decided = np.zeros(len(leads), dtype=bool)
    for rule in rules:
        hit = rule.matches(leads) & ~decided
        action[hit] = rule.action
        decided |= hit
    return action


def deal_situation(deals: pd.DataFrame) -> pd.DataFrame:
    """``deals`` (scores joined with their features) with the derived deal fields the
    rules read: ``days_without_activity`` and ``close_date`` as an ISO date."""
    out = deals.copy()
    out["days_without_activity"] = pd.to_numeric(
        out["days_since_last_activity"], errors="coerce"
    ).fillna(pd.to_numeric(out["age_days"], errors="coerce"))
    close = pd.to_datetime(out["close_date"], errors="coerce")
    out["close_date"] = close.dt.strftime("%Y-%m-%d").where(close.notna(), None)
    return out
