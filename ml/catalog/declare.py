"""How a table is declared: its columns with DuckDB types and descriptions, its grain,
its partition key and its Great Expectations suite.

A declaration is the one place a table's shape is written down: the writer
(:mod:`ml.catalog.writer`) creates the table from it, checks every frame against it and
replaces partitions by its key; the published file's ``COMMENT ON`` text
(:mod:`ml.warehouse.catalog`) and dbt's sources (``_ml__sources.yml``) describe it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column: its name, DuckDB type and description."""

    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Table:
    """One output table.

    ``grain`` names the columns that identify a row; ``partition_by`` the columns whose
    values a write replaces as a whole (a date, a run and model; empty: the whole table).
    ``suite`` is the Great Expectations suite under ``expectations/`` the writer
    validates every frame with, or None when the declared columns and types are the
    whole check.
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    grain: tuple[str, ...]
    partition_by: tuple[str, ...]
    suite: str | None = None

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        unknown = [k for k in (*self.grain, *self.partition_by) if k not in names]
        if unknown:
            raise ValueError(f"{self.name}: grain/partition columns {unknown} are not declared")

    @property
    def schema(self) -> str:
        return self.name.split(".")[0]

    @property
    def table(self) -> str:
        return self.name.split(".")[1]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def types(self) -> dict[str, str]:
        return {c.name: c.type for c in self.columns}

    @property
    def column_docs(self) -> dict[str, str]:
        return {c.name: c.description for c in self.columns}

    @property
    def required(self) -> list[str]:
        """Columns every frame must carry: the grain and the partition key."""
        return list(dict.fromkeys((*self.grain, *self.partition_by)))


def columns(*specs: tuple[str, str, str]) -> tuple[Column, ...]:
    """``(name, type, description)`` triples as columns."""
    return tuple(Column(*spec) for spec in specs)
