"""Map the rows of one source file through one table block: pure functions on DataFrames.

Values are text throughout (``None`` is null), exactly as the landing zone carries them;
typing happens later, in dbt staging.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

from ml.contract import LANDING_TABLES
from ml.mapping.rules import parse_iso
from ml.mapping.spec import ColumnSpec, Lookup, Source, TablePart, ValueFormat

# strftime directives that carry a time of day: such a pattern gives a timestamp
TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%f", "%p", "%z", "%X", "%c")


@dataclass(frozen=True)
class Context:
    """What mapping a value needs beyond its row: the delivery date, the lookup tables,
    and the keys each lookup file has with an empty value (found, but empty)."""

    delivery: date | None
    lookups: Mapping[Lookup, Mapping[str, str]]
    empty_lookups: Mapping[Lookup, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class MappedFile:
    """One source file's rows mapped through one table block.

    ``frame`` holds the block's columns for the rows kept, indexed by source row number;
    ``levels[column][i]`` says which of the column's sources gave row i its value (-1:
    none did); ``dropped`` counts rows left out per key column that was empty;
    ``source`` holds the kept rows' source text and ``context`` what they were mapped with;
    ``filtered`` counts the rows the block's ``rows`` filter left out.
    """

    part: TablePart
    file: str
    frame: pd.DataFrame
    levels: Mapping[str, np.ndarray]
    source: pd.DataFrame
    dropped: Mapping[str, int]
    context: Context
    filtered: int = 0


def clean(values: pd.Series, missing: tuple[str, ...]) -> pd.Series:
    """``values`` with the ``missing`` placeholders (and empty text) turned into null.

    ``values`` are trimmed already, so the placeholders are compared trimmed too.
    """
    placeholders = [m.strip() for m in missing]
    return values.where(values.notna() & ~values.isin(placeholders) & (values != ""), None)


def lookup_table(
    frame: pd.DataFrame, lookup: Lookup
) -> tuple[dict[str, str], list[str], frozenset[str]]:
    """The key -> value pairs of a lookup file, the keys that appear with two values,
    and the keys whose value is empty (found, but with nothing to give)."""
    pairs = frame[[lookup.key, lookup.value]].drop_duplicates()
    pairs = pairs[pairs[lookup.key].notna() & (pairs[lookup.key] != "")]
    conflicts = sorted(set(pairs.loc[pairs[lookup.key].duplicated(), lookup.key]))
    table = dict(zip(pairs[lookup.key], pairs[lookup.value], strict=True))
    empty = frozenset(k for k, v in table.items() if v in (None, ""))
    return {k: v for k, v in table.items() if k not in empty}, conflicts, empty


def convert(values: pd.Series, value_format: ValueFormat) -> pd.Series:
    """Dates written with ``value_format.date`` as ISO 8601, numbers with its separators
    as ``1234.5``; a value that does not fit becomes null (``format_problems`` reports it).
    """
    if value_format.date is None and value_format.decimal is None and not value_format.thousands:
        return values
    distinct = values.dropna().unique()
    converted = {v: _convert_one(v, value_format) for v in distinct}
    return values.map(converted, na_action="ignore").astype(object).where(values.notna(), None)


def _convert_one(text: str, value_format: ValueFormat) -> str | None:
    if value_format.date is not None:
        try:
            moment = datetime.strptime(text, value_format.date)
        except ValueError:
            return None
        if any(d in value_format.date for d in TIME_DIRECTIVES):
            return moment.isoformat()
        return moment.date().isoformat()
    number = text
    if value_format.thousands:
        number = number.replace(value_format.thousands, "")
    if value_format.decimal:
        number = number.replace(value_format.decimal, ".")
    try:
        float(number)
    except ValueError:
        return None
    return number


def source_values(source: Source, frame: pd.DataFrame, part: TablePart, ctx: Context) -> pd.Series:
    """The values one source gives every row of ``frame`` (a source file's text)."""
    if source.constant is not None:
        return pd.Series(source.constant or None, index=frame.index, dtype=object)
    if source.delivery_date:
        text = ctx.delivery.isoformat() if ctx.delivery else None
        return pd.Series(text, index=frame.index, dtype=object)
    values = clean(frame[source.column], part.missing if source.missing is None else source.missing)
    if source.value_map:
        values = _rewrite(values, source.value_map)
    if source.lookup is not None:
        table = ctx.lookups.get(source.lookup, {})
        values = values.map(lambda v: table.get(v) if v is not None else None).astype(object)
        if source.lookup.value_map:
            values = _rewrite(values, dict(source.lookup.value_map))
    if source.when_present is not None:
        values = values.where(values.isna(), source.when_present).astype(object)
    return convert(values, source.format)


def _rewrite(values: pd.Series, value_map: Mapping[str, str]) -> pd.Series:
    """``values`` with those ``value_map`` lists replaced (an empty target is null)."""
    hit = values.isin(list(value_map))
    values = values.where(~hit, values.map(value_map)).astype(object)
    return values.where(values != "", None)


def column_values(
    spec: ColumnSpec, frame: pd.DataFrame, part: TablePart, ctx: Context
) -> tuple[pd.Series, np.ndarray]:
    """A column's values (the first non-null of its sources) and which source gave each."""
    values = pd.Series(None, index=frame.index, dtype=object)
    levels = np.full(len(frame), -1)
    for i, source in enumerate(spec.sources):
        candidate = source_values(source, frame, part, ctx)
        take = (values.isna() & candidate.notna()).to_numpy()
        values[take] = candidate[take]
        levels[take] = i
    return values, levels


def map_file(part: TablePart, file: str, frame: pd.DataFrame, ctx: Context) -> MappedFile:
    """Map one source file through one table block; rows the block's ``rows`` filter
    does not keep, and rows with an empty key, are left out."""
    filtered = 0
    if part.rows is not None:
        kept = frame[part.rows.column].str.strip().isin(part.rows.values).to_numpy()
        filtered, frame = int((~kept).sum()), frame[kept]
    values: dict[str, pd.Series] = {}
    levels: dict[str, np.ndarray] = {}
    for spec in part.columns:
        values[spec.name], levels[spec.name] = column_values(spec, frame, part, ctx)
    mapped = pd.DataFrame(values, index=frame.index, dtype=object)
    keep = np.ones(len(frame), dtype=bool)
    dropped: dict[str, int] = {}
    for key in LANDING_TABLES[part.table].key:
        if key in mapped:
            empty = keep & mapped[key].isna().to_numpy()
            if empty.any():
                dropped[key] = int(empty.sum())
            keep &= ~empty
    return MappedFile(
        part,
        file,
        mapped[keep],
        {name: level[keep] for name, level in levels.items()},
        frame[keep],
        dropped,
        ctx,
        filtered,
    )


def latest_updated_at(mapped: list[MappedFile]) -> date | None:
    """The latest date among the mapped ``updated_at`` values, or None if none is a date."""
    dates = [
        parse_iso(text)
        for item in mapped
        if "updated_at" in item.frame
        for text in item.frame["updated_at"].dropna().unique()
    ]
    return max((d for d in dates if d is not None), default=None)
