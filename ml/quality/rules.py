"""Row rules compiled to DuckDB SQL: every delivered row gets the list of rules it breaks.

Great Expectations' pandas engine needs about a second per expectation per million
rows, and a night can bring ten million activities; DuckDB evaluates the same rules
vectorised in a few seconds. So the raw suites (expectations/raw/*.yml) compile here
into one SELECT over the batch, which adds two list columns:

- ``_rules``: rules of severity row the row breaks; a non-empty list quarantines it;
- ``_warns``: rules of severity warn it breaks; counted and reported, nothing more.

Values are parsed exactly as dbt staging parses them (macros/crm_columns.sql): a row
passes here if and only if staging can read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ml.contract import LINEAGE_COLUMNS
from ml.quality.specs import ColumnRules, RawSuite
from ml.quality.sql_values import BOOLEANS, literal, quote, text_value, typed_value

# The rules that do not come from a column's checks.
OVERSIZE = "value_oversize"
DUPLICATE_ROW = "duplicate_row"
DUPLICATE_CONFLICT = "duplicate_key_conflict"
MALFORMED_ROW = "malformed_csv_row"
INVALID_UTF8 = "invalid_utf8"

_TYPE_WORD = {
    "decimal": "number",
    "number": "number",
    "integer": "integer",
    "timestamp": "timestamp",
    "date": "date",
    "boolean": "boolean",
}


@dataclass(frozen=True)
class Rule:
    """One named rule: which column, how severe, what it means, and its SQL (true = broken)."""

    name: str
    column: str | None
    severity: str
    description: str
    predicate: str


def row_rules(suite: RawSuite, present: Sequence[str]) -> list[Rule]:
    """The rules of ``suite`` that can fire on a batch holding the columns ``present``.

    Duplicates are not among them: they need the whole batch (:mod:`ml.quality.batch_sql`).
    """
    rules = []
    for rules_of in suite.columns.values():
        if rules_of.column in present:
            rules += _column_rules(rules_of, suite, present)
    data = [c for c in present if c not in LINEAGE_COLUMNS]
    if data:
        longest = f"greatest({', '.join(f'strlen({quote(c)})' for c in data)})"
        rules.append(
            Rule(
                OVERSIZE,
                None,
                "row",
                f"no value may be longer than {suite.max_value_bytes:,} bytes",
                f"{longest} > {suite.max_value_bytes}",
            )
        )
    return rules


def all_rule_names(suite: RawSuite) -> list[tuple[str, str, str]]:
    """Every rule the suite can report, as (name, severity, description), in a stable order."""
    everything = row_rules(suite, suite.contract.columns)
    named = [(r.name, r.severity, r.description) for r in everything]
    named += [
        (DUPLICATE_ROW, "row", "an exact copy of an earlier row of the same delivery"),
        (
            DUPLICATE_CONFLICT,
            "row",
            "the same key (and version) twice in one delivery with different values",
        ),
        (MALFORMED_ROW, "row", "a CSV line with the wrong number of fields"),
        (INVALID_UTF8, "row", "bytes that are not UTF-8 text"),
    ]
    return named


def _column_rules(c: ColumnRules, suite: RawSuite, present: Sequence[str]) -> list[Rule]:
    text = text_value(c.column, present)
    rules = []
    if c.not_null:
        rules.append(
            Rule(
                f"{c.column}_null",
                c.column,
                c.severity,
                f"{c.column} must not be empty",
                f"{text} is null",
            )
        )
    if c.type == "boolean":
        values = ", ".join(f"'{v}'" for v in BOOLEANS)
        rules.append(
            Rule(
                f"{c.column}_not_boolean",
                c.column,
                c.severity,
                f"{c.column} must be true/false (also t/f, 1/0, yes/no, y/n)",
                f"lower({text}) not in ({values})",
            )
        )
    elif c.type:
        word = _TYPE_WORD[c.type]
        # NaN and infinity parse as a DOUBLE but are no amount: broken like any non-number.
        finite = f" or not isfinite({typed_value(c, present)})" if c.type == "number" else ""
        rules.append(
            Rule(
                f"{c.column}_not_{word}",
                c.column,
                c.severity,
                f"{c.column} must be a {word} when present"
                + (" (a finite one: not NaN or infinity)" if finite else ""),
                f"{text} is not null and ({typed_value(c, present)} is null{finite})",
            )
        )
    if c.in_set is not None:
        values = ", ".join(literal(v) for v in c.in_set)
        rules.append(
            Rule(
                f"{c.column}_unknown",
                c.column,
                c.severity,
                f"{c.column} must be one of: {', '.join(c.in_set)}",
                f"lower({text}) not in ({values})",
            )
        )
    if c.min is not None:
        name = f"{c.column}_negative" if c.min == 0 else f"{c.column}_below_min"
        rules.append(
            Rule(
                name,
                c.column,
                c.severity,
                f"{c.column} must be at least {c.min:g}",
                f"{typed_value(c, present)} < {c.min!r}",
            )
        )
    if c.regex is not None:
        rules.append(
            Rule(
                f"{c.column}_malformed",
                c.column,
                c.severity,
                f"{c.column} must match {c.regex}",
                f"not regexp_full_match({text}, {literal(c.regex)})",
            )
        )
    if c.not_before is not None and c.not_before in present:
        other = rules_for(suite, c.not_before)
        rules.append(
            Rule(
                f"{c.column}_before_{c.not_before}",
                c.column,
                c.severity,
                f"{c.column} must not be before the date of {c.not_before}",
                f"try_cast({typed_value(c, present)} as date) < "
                f"try_cast({typed_value(other, present)} as date)",
            )
        )
    if c.type in ("date", "timestamp") and not c.not_after_delivery:
        days = suite.future_horizon_days
        limit = (
            f"_delivery_date + {days}"
            if c.type == "date"
            else f"(_delivery_date + {days + 1})::timestamp"
        )
        op = ">" if c.type == "date" else ">="
        rules.append(
            Rule(
                f"{c.column}_implausibly_far_ahead",
                c.column,
                c.severity,
                f"{c.column} must not be more than {days:,} days after delivery "
                "(future_horizon_days)",
                f"{typed_value(c, present)} {op} {limit}",
            )
        )
    if c.not_after_delivery:
        # The grace day covers time zones and a delivery cut a little after midnight.
        limit = "_delivery_date + 1" if c.type == "date" else "(_delivery_date + 2)::timestamp"
        op = ">" if c.type == "date" else ">="
        rules.append(
            Rule(
                f"{c.column}_in_future",
                c.column,
                c.severity,
                f"{c.column} must not be after the end of the day after delivery",
                f"{typed_value(c, present)} {op} {limit}",
            )
        )
    return rules


def rules_for(suite: RawSuite, column: str) -> ColumnRules:
    """The column's checks in ``suite``; an empty set of checks if it has no entry."""
    return suite.columns.get(column) or ColumnRules(column)
