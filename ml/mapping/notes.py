"""Human-readable facts about a mapped export, and the columns it must never use as features.

Notes say what the mapping did to the rows that did not fit the contract: rows left out
for an empty key, values taken from a fallback, required columns left empty, values a
value map rewrote, lookups that found nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from ml.contract import LANDING_TABLES
from ml.mapping.build import output_columns, table_frame
from ml.mapping.rules import is_temporal, parse_iso
from ml.mapping.spec import ColumnSpec, MappingSpec, Source
from ml.mapping.transform import MappedFile, clean, source_values

NOUNS = {
    "accounts": "accounts",
    "sales_reps": "sales reps",
    "leads": "leads",
    "opportunities": "opportunities",
    "opportunity_stage_history": "stage history rows",
    "activities": "activities",
    "market_indicators": "market indicator rows",
}


def export_notes(spec: MappingSpec, mapped: Sequence[MappedFile]) -> list[str]:
    """Every note about ``mapped`` (the export as ``spec`` maps it), in mapping order."""
    notes: list[str] = []
    if spec.delivery_date_derived:
        notes.append(f"delivery date {spec.delivery_date} is the latest mapped updated_at")
    for item in mapped:
        notes += file_notes(item)
    for table in spec.tables:
        notes += _repeated_keys(table, mapped)
    missing = [t for t in LANDING_TABLES if t not in spec.tables]
    if missing:
        notes.append(f"not in this export, so no landing folder: {', '.join(missing)}")
    return notes


def file_notes(item: MappedFile) -> list[str]:
    """Notes on one mapped source file: left-out rows, fallbacks, empty columns, value maps."""
    part, noun, ctx = item.part, NOUNS[item.part.table], item.context
    notes = [
        f"{n:,} rows of {item.file} have no {_describe(_sources(item, key))}: "
        f"left out of {part.table} ({key} is part of its key)"
        for key, n in item.dropped.items()
    ]
    if item.filtered:
        values = ", ".join(part.rows.values) if part.rows else ""
        column = part.rows.column if part.rows else ""
        notes.insert(
            0,
            f"{item.filtered:,} rows of {item.file} have a {column} other than {values}: "
            f"left out of {part.table} by its rows filter",
        )
    for spec in part.columns:
        levels = item.levels[spec.name]
        for k in range(1, len(spec.sources)):
            if n := int((levels == k).sum()):
                notes.append(
                    f"{n:,} {noun} have no {_describe(spec.sources[:k])}: {spec.name} taken "
                    f"from {spec.sources[k].describe(ctx.delivery)}"
                )
        empty = int((levels == -1).sum())
        if empty and spec.name in LANDING_TABLES[part.table].required:
            if any(source.column for source in spec.sources):
                why = f"have no {_describe(spec.sources)}"
            else:
                why = "get an empty constant"
            notes.append(f"{empty:,} {noun} {why}: {spec.name} left empty")
        if is_temporal(spec.name):
            notes += _date_notes(item, spec.name)
        for k, source in enumerate(spec.sources):
            # rows that reached source k: no earlier source gave them a value
            reached = ~((levels >= 0) & (levels < k))
            notes += _source_notes(item, spec, source, levels == k, reached)
    return notes


def _source_notes(
    item: MappedFile,
    spec: ColumnSpec,
    source: Source,
    used: np.ndarray,
    reached: np.ndarray,
) -> list[str]:
    """What a value map rewrote, and which values a lookup did not find."""
    if source.column is None:
        return []
    where = f"{item.part.table}.{spec.name} from {item.file} column {source.column}"
    if source.lookup is not None:
        keys = source_values(replace(source, lookup=None), item.source, item.part, item.context)
        found = source_values(source, item.source, item.part, item.context)
        lost = keys[keys.notna().to_numpy() & found.isna().to_numpy() & reached]
        empty_keys = item.context.empty_lookups.get(source.lookup, frozenset())
        empty = lost[lost.isin(list(empty_keys))]
        missing = lost[~lost.isin(list(empty_keys))]
        notes = []
        if not missing.empty:
            notes.append(
                f"{where}: {len(missing):,} values not found in {source.lookup.file} "
                f"column {source.lookup.key} ({_shown(missing)})"
            )
        if not empty.empty:
            notes.append(
                f"{where}: {len(empty):,} values found in {source.lookup.file} column "
                f"{source.lookup.key}, but with an empty {source.lookup.value} ({_shown(empty)})"
            )
        return notes
    raw = clean(item.source[source.column], _missing(source, item))[used]
    counts = raw.value_counts()
    changed = [
        f"{value} -> {target or 'empty'} ({int(counts[value]):,})"
        for value, target in source.value_map.items()
        if value != target and value in counts.index
    ]
    return [f"{where}: {', '.join(changed)}"] if changed else []


def _shown(values: pd.Series) -> str:
    """Up to five distinct values, quoted: ``'a', 'b'``."""
    return ", ".join(repr(v) for v in sorted(set(values))[:5])


def leakage_columns(
    spec: MappingSpec, mapped: Sequence[MappedFile]
) -> tuple[dict[str, list[str]], list[str]]:
    """The landing columns of each table that must never be model features, and notes.

    A leakage entry that names a contract (or custom) column is that column; one that
    names a source column is every column whose value may come from it.
    """
    result: dict[str, list[str]] = {}
    notes: list[str] = []
    for table in spec.tables:
        names: set[str] = set()
        for part in (p for p in spec.parts if p.table == table):
            header = {c for item in mapped if item.part is part for c in item.source.columns}
            contract = set(LANDING_TABLES[table].columns) | {c.name for c in part.columns}
            for name in part.leakage:
                fed = {c.name for c in part.columns if any(s.column == name for s in c.sources)}
                names |= fed | ({name} & contract)
                if name in header and name not in contract and not fed:
                    notes.append(f"leakage column {name} of {table} feeds no landing column")
        result[table] = [c for c in output_columns(table, mapped) if c in names]
    return result, notes


def _describe(sources: Sequence[Source]) -> str:
    """``close_value (counting '0' as missing) or products.csv sales_price by product``."""
    texts = []
    for source in sources:
        text = source.describe()
        extra = [repr(m) for m in source.missing or () if m]
        texts.append(text + (f" (counting {', '.join(extra)} as missing)" if extra else ""))
    return " or ".join(texts)


def _date_notes(item: MappedFile, column: str) -> list[str]:
    """Values of a date column that are not ISO 8601: staging will read them as empty."""
    values = item.frame[column].dropna()
    bad = sorted(v for v in values.unique() if parse_iso(v) is None)
    if not bad:
        return []
    count = int(values.isin(bad).sum())
    shown = ", ".join(repr(v) for v in bad[:3]) + (", …" if len(bad) > 3 else "")
    return [
        f"{count:,} {NOUNS[item.part.table]} from {item.file} have a {column} that is not an "
        f"ISO 8601 date ({shown}): it will load as empty"
    ]


def _sources(item: MappedFile, column: str) -> tuple[Source, ...]:
    spec = item.part.column(column)
    return spec.sources if spec is not None else ()


def _missing(source: Source, item: MappedFile) -> tuple[str, ...]:
    return item.part.missing if source.missing is None else source.missing


def _repeated_keys(table: str, mapped: Sequence[MappedFile]) -> list[str]:
    key = list(LANDING_TABLES[table].key)
    repeats = int(table_frame(table, mapped)[key].duplicated().sum())
    if not repeats:
        return []
    return [f"{repeats:,} {NOUNS[table]} repeat the key ({', '.join(key)}) of an earlier row"]
