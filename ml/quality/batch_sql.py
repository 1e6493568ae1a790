"""The SQL that checks a batch: every delivered row gets the list of rules it breaks.

One SELECT over the batch adds two list columns: ``_rules`` (rules of severity row
the row breaks; a non-empty list quarantines it) and ``_warns`` (rules of severity
warn: counted and reported, the row still loads). Duplicates within a delivery are
found by a cheap aggregate first, and looked at closely only when there are any.
"""

from __future__ import annotations

from collections.abc import Sequence

from ml.contract import LINEAGE_COLUMNS
from ml.quality.rules import DUPLICATE_CONFLICT, DUPLICATE_ROW, row_rules, rules_for
from ml.quality.specs import RawSuite
from ml.quality.sql_values import parsed_value, quote, sql_list, text_value, typed_name, typed_value


def duplicate_keys_sql(suite: RawSuite, present: Sequence[str], source: str) -> str:
    """SELECT the (delivery date, key[, version]) that occur more than once in ``source``.

    Cheap (one hash aggregate on the key) and nearly always empty, so the costlier
    look at the duplicated rows themselves (:func:`duplicate_groups_sql`) runs only when
    there is something to see.
    """
    keys = _key_columns(suite, present, parsed=True)
    not_null = " and ".join(f"{expr} is not null" for expr in keys[: len(suite.contract.key)])
    return f"""
        select _delivery_date, {", ".join(f"{expr} as _k{i}" for i, expr in enumerate(keys))}
        from {source} where {not_null} group by all having count(*) > 1
    """


def duplicate_groups_sql(
    suite: RawSuite, present: Sequence[str], source: str, duplicate_keys: str
) -> str:
    """SELECT, per duplicated key, whether all its rows are equal and which row comes first."""
    keys = _key_columns(suite, present, parsed=True)
    data = ", ".join(quote(c) for c in present if c not in LINEAGE_COLUMNS)
    match = " and ".join(f"{expr} is not distinct from d._k{i}" for i, expr in enumerate(keys))
    return f"""
        select s._delivery_date as _dup_delivery_date,
            {", ".join(f"{expr} as _k{i}" for i, expr in enumerate(keys))},
            min(hash({data})) = max(hash({data})) as _exact,
            min({{'f': s._source_file, 'r': s._source_row}}) as _first
        from {source} as s
        semi join {duplicate_keys} as d on s._delivery_date = d._delivery_date and {match}
        group by all
    """


def checked_batch_sql(
    suite: RawSuite, present: Sequence[str], source: str, duplicate_groups: str | None = None
) -> str:
    """SELECT every column of ``source`` plus ``_rules`` and ``_warns`` (lists of rule names).

    Duplicates within one delivery (same ``_delivery_date``): rows with the same key,
    and for CDC tables the same version (``updated_at``), are duplicates. If all their
    values are equal, the first (by file, then row) is kept and the others break
    ``duplicate_row``; if any value differs, none can be trusted and all of them break
    ``duplicate_key_conflict``. The same key with another version is a legitimate change.
    ``duplicate_groups`` names the relation :func:`duplicate_groups_sql` selected, or
    None when the batch has no duplicated key.
    """
    rules = row_rules(suite, present)
    # Each typed value is parsed once, in its own column, however many rules read it.
    parsed = {
        c.column: parsed_value(c, present)
        for c in suite.columns.values()
        if c.column in present and c.type and c.type != "boolean"
    }
    typed = "".join(f", {expr} as {typed_name(column)}" for column, expr in parsed.items())
    row_list = [
        f"case when coalesce({r.predicate}, false) then '{r.name}' end"
        for r in rules
        if r.severity == "row"
    ]
    warn_list = [
        f"case when coalesce({r.predicate}, false) then '{r.name}' end"
        for r in rules
        if r.severity == "warn"
    ]
    hidden = [typed_name(c) for c in parsed]
    join = ""
    if duplicate_groups is not None:
        keys = _key_columns(suite, present, parsed=False)
        match = " and ".join(f"{expr} is not distinct from d._k{i}" for i, expr in enumerate(keys))
        join = (
            f"left join {duplicate_groups} as d "
            f"on c._delivery_date = d._dup_delivery_date and {match}"
        )
        row_list.append(
            f"case when d._exact is null then null when not d._exact then '{DUPLICATE_CONFLICT}' "
            f"when d._first <> {{'f': c._source_file, 'r': c._source_row}} "
            f"then '{DUPLICATE_ROW}' end"
        )
    return f"""
        with typed as (select *{typed} from {source})
        select c.* {f"exclude ({', '.join(hidden)})" if hidden else ""},
            {sql_list(row_list)} as _rules, {sql_list(warn_list)} as _warns
        from typed as c {join}
    """


def _key_columns(suite: RawSuite, present: Sequence[str], parsed: bool) -> list[str]:
    """The key (and version) as staging sees them: typed if typed, else trimmed text."""
    columns = [suite.columns[k] for k in suite.contract.key]
    if suite.version is not None:
        columns.append(rules_for(suite, suite.version))
    exprs = []
    for c in columns:
        if c.type and c.type != "boolean":
            exprs.append(parsed_value(c, present) if parsed else typed_value(c, present))
        else:
            exprs.append(text_value(c.column, present))
    return exprs
