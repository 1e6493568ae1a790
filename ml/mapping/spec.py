"""The mapping file as data: dataclasses, the YAML reader, and the errors it reports.

Every scalar in a mapping is read as text, exactly as written: ``Yes``, ``No``, ``0``,
``NO`` (Norway) and ``2017-12-31`` stay strings, as they are in a CSV export. YAML's
own guessing would turn ``Yes: true`` into a boolean key that never matches the text
``Yes`` in the export.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import yaml


class MappingError(Exception):
    """A mapping (or the export it names) that cannot be applied; lists every problem found.

    ``problems`` holds one line per problem, each starting with the mapping file's name.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class Problem(NamedTuple):
    """One problem, at a place in the mapping (``tables.opportunities.columns.stage``)."""

    where: str
    message: str

    def text(self, mapping_name: str) -> str:
        return f"{mapping_name}: {self.where}: {self.message}"


@dataclass(frozen=True)
class Lookup:
    """Replace a value by ``value`` of the row whose ``key`` equals it, in another file.

    ``value_map`` then rewrites the looked-up values it lists (pairs, so a lookup stays
    hashable: lookups are read once per distinct lookup).
    """

    file: str
    key: str
    value: str
    value_map: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ValueFormat:
    """How an export writes dates and numbers, for the columns that hold them.

    ``date`` is a ``strftime`` pattern (``%d-%m-%Y``); ``decimal`` and ``thousands``
    are the number separators (``,`` and ``.`` in much of Europe). None: ISO 8601 dates
    and plain ``1234.5`` numbers, which pass unchanged.
    """

    date: str | None = None
    decimal: str | None = None
    thousands: str | None = None

    def over(self, default: ValueFormat) -> ValueFormat:
        """This format, with ``default``'s settings where this one has none."""
        return ValueFormat(
            self.date or default.date,
            self.decimal or default.decimal,
            self.thousands or default.thousands,
        )


@dataclass(frozen=True)
class Join:
    """Columns of another file joined onto a table's rows by key (a left join).

    Row ``r`` of the table gets, for each name in ``columns``, the value in the row of
    ``file`` whose ``key`` equals ``r[on]``; the mapping refers to it as
    ``<file stem>.<column>`` (``closed_deals.won_date``).
    """

    file: str
    on: str
    key: str
    columns: tuple[str, ...]
    where: str

    @property
    def prefix(self) -> str:
        return Path(self.file).stem + "."

    def name(self, column: str) -> str:
        return self.prefix + column


@dataclass(frozen=True)
class Source:
    """One way to get a column's value: exactly one of a source column, a constant, or
    the delivery date. A column's text is trimmed, then ``missing`` values become null,
    then ``value_map`` replaces the values it lists, then ``lookup`` runs (and its own
    ``value_map``), then ``when_present`` replaces every value left by one text, and
    last ``format`` turns dates and numbers into ISO 8601 and ``1234.5``."""

    column: str | None = None
    constant: str | None = None
    delivery_date: bool = False
    value_map: Mapping[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] | None = None  # None: the table's (or mapping's) default
    lookup: Lookup | None = None
    when_present: str | None = None
    format: ValueFormat = ValueFormat()

    def describe(self, delivery: date | None = None) -> str:
        """How notes name this source: ``engage_date``, ``the delivery date (2017-12-31)``."""
        if self.constant is not None:
            return f"the constant {self.constant!r}"
        if self.delivery_date:
            return f"the delivery date ({delivery})" if delivery else "the delivery date"
        if self.lookup is not None:
            return f"{self.lookup.file} {self.lookup.value} by {self.column}"
        return str(self.column)


@dataclass(frozen=True)
class ColumnSpec:
    """A contract column (or ``attr_*`` custom field) and its sources: the first non-null wins."""

    name: str
    sources: tuple[Source, ...]
    where: str

    def source_where(self, i: int) -> str:
        """Where source ``i`` is in the mapping (0 is the column's own; then its fallbacks)."""
        return self.where if i == 0 else f"{self.where}.fallback[{i - 1}]"


@dataclass(frozen=True)
class RowFilter:
    """Keep only the rows whose ``column`` (trimmed) is one of ``values``; the rest are
    left out of the table block (and counted in the notes)."""

    column: str
    values: tuple[str, ...]
    where: str


@dataclass(frozen=True)
class TablePart:
    """One block of a table's mapping: rows of ``files`` mapped by ``columns``."""

    table: str
    files: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]  # contract columns, then custom fields
    missing: tuple[str, ...]
    leakage: tuple[str, ...]
    where: str
    joins: tuple[Join, ...] = ()
    # Each row is a lead as it ended (an export of outcomes), not a change of it.
    final_state: bool = False
    rows: RowFilter | None = None  # None: every row of the files

    def column(self, name: str) -> ColumnSpec | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class MappingSpec:
    """A parsed mapping. ``delivery_date`` is None until derived (see ``load_mapping``)."""

    path: Path
    delivery_date: date | None
    stages: tuple[str, ...]
    parts: tuple[TablePart, ...]
    delivery_date_derived: bool = False
    # Where the export's files are; None means beside the mapping file.
    source_dir: Path | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def folder(self) -> Path:
        """Source paths in the mapping are relative to this folder."""
        return self.source_dir if self.source_dir is not None else self.path.parent

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(part.table for part in self.parts))

    @property
    def final_state_tables(self) -> tuple[str, ...]:
        """Tables whose rows are final states (``final_state: true``), in mapping order."""
        return tuple(dict.fromkeys(p.table for p in self.parts if p.final_state))


class _TextLoader(yaml.SafeLoader):
    """A safe loader that reads every scalar as text and refuses duplicate keys."""

    yaml_implicit_resolvers: dict[str, Any] = {}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> object:
    """The mapping file's content, every scalar as text.

    Raises:
        MappingError: the file does not exist, or is not valid YAML (with line and column).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        message = f"{path.name}: cannot read the mapping file {path}: {exc.strerror}"
        raise MappingError([message]) from None
    try:
        return yaml.load(text, Loader=_TextLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise MappingError([f"{path.name}: YAML syntax error{at}: {exc.problem}"]) from None
    except yaml.YAMLError as exc:
        raise MappingError([f"{path.name}: YAML syntax error: {exc}"]) from None
