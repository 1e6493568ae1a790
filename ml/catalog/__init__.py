"""The table catalog: every ``ml.*``, ``monitoring.*`` and ``quarantine.*`` table declared
once (:mod:`~ml.catalog.registry`), and its one writer (:mod:`~ml.catalog.writer`)."""

from ml.catalog.declare import Column, Table
from ml.catalog.registry import TABLES, table_for
from ml.catalog.writer import (
    CatalogWriteError,
    Write,
    add_text_columns,
    append_select,
    ensure_table,
    erase_rows,
    transaction,
    write_partition,
    write_partitions,
)

__all__ = [
    "TABLES",
    "CatalogWriteError",
    "Column",
    "Table",
    "Write",
    "add_text_columns",
    "append_select",
    "ensure_table",
    "erase_rows",
    "table_for",
    "transaction",
    "write_partition",
    "write_partitions",
]
