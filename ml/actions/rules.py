"""Next-best-action rules: loading and checking ``rules.yml``, and matching leads.

Pure functions on DataFrames; the file format is documented at the top of
``ml/actions/rules.yml``.
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
ACTIVITY_TYPES = ("email", "call", "meeting", "demo", "web_visit")
FIELDS = frozenset(
    {"grade", "score", "conversion_probability", "percentile", "is_stale", "lead_age_days",
     "days_since_last_activity", "activities_total", "activities_last_14_days", "source",
     "status", "title_seniority", "company_size_band"}
    | {f"activities_{t}" for t in ACTIVITY_TYPES}
)  # fmt: skip
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

    def describe(self, lead: pd.Series) -> str:
        """The reason in words for one lead: the label, then the filled-in reason."""
        values = {f: _show(lead.get(f)) for f in FIELDS}
        return f"{self.label}: {self.reason.format(**values)}"


def _show(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "unknown"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def load_rules(path: Path = DEFAULT_RULES) -> tuple[Rule, ...]:
    """The rules of ``path``, checked.

    Raises:
        RulesError: the file is missing, not YAML, or a rule is invalid (unknown field,
            no reason, a placeholder that is no field, an action given twice, or no
            catch-all rule at the end).
    """
    if not path.exists():
        raise RulesError(f"next-best-action rules file {path} does not exist")
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise RulesError(f"{path} is not valid YAML: {exc}") from exc
    entries = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise RulesError(f"{path}: no rules (expected a list under `rules:`)")
    rules = tuple(_rule(path, i, entry) for i, entry in enumerate(entries, start=1))
    seen: set[str] = set()
    for rule in rules:
        if rule.action in seen:
            raise RulesError(f"{path}: action {rule.action!r} has more than one rule")
        seen.add(rule.action)
    if rules[-1].when:
        raise RulesError(
            f"{path}: the last rule ({rules[-1].action}) has conditions; the last rule must "
            "be a catch-all (`when: {}`) so that every open lead gets an action"
        )
    return rules


def _rule(path: Path, number: int, entry: Any) -> Rule:
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
        if field not in FIELDS:
            raise RulesError(
                f"{where}: unknown field {field!r} in `when`; known: {', '.join(sorted(FIELDS))}"
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
    placeholders = {f for _, f, _, _ in string.Formatter().parse(entry["reason"]) if f}
    if placeholders - FIELDS:
        raise RulesError(
            f"{where}: the reason uses unknown field(s) {', '.join(sorted(placeholders - FIELDS))}"
        )
    done = entry["done_when"]
    types = done.get("activity_types") if isinstance(done, dict) else None
    days = done.get("within_days") if isinstance(done, dict) else None
    if not types or set(types) - set(ACTIVITY_TYPES) or not isinstance(days, int) or days < 1:
        raise RulesError(
            f"{where}: done_when needs activity_types (of {', '.join(ACTIVITY_TYPES)}) and "
            "within_days (a whole number of days, at least 1)"
        )
    return Rule(action, str(entry["label"]), dict(when), str(entry["reason"]), tuple(types), days)


def assign(leads: pd.DataFrame, rules: tuple[Rule, ...]) -> pd.Series:
    """The action of each lead: the first matching rule's (the catch-all otherwise)."""
    action = pd.Series(rules[-1].action, index=leads.index, dtype=object)
    decided = np.zeros(len(leads), dtype=bool)
    for rule in rules:
        hit = rule.matches(leads) & ~decided
        action[hit] = rule.action
        decided |= hit
    return action
