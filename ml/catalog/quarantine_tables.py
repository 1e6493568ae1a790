"""The ``quarantine.*`` tables: one per landing table, the rows ingest held back.

Each has the landing table's contract columns (all text, as delivered, personal data
included: it lives in the working warehouse only and is never published), the lineage
columns, and why and when each row was held back. A custom field (``attr_*``) first
delivered later is added as text (:func:`ml.catalog.writer.add_text_columns`).
"""

from __future__ import annotations

from ml.catalog.declare import Column, Table
from ml.contract import LANDING_TABLES, LINEAGE_COLUMNS

SCHEMA = "quarantine"
REASON_COLUMNS: dict[str, tuple[str, str]] = {
    "_rules": ("varchar[]", "The rules the row broke (amount_negative, malformed_csv_row, ...)."),
    "_detail": ("varchar", "For rows that could not be read: what was wrong, e.g. 'expected "
                "7 fields, found 5'."),
    "_raw_line": ("varchar", "For a malformed CSV line: its text as delivered."),
    "_business_date": ("date", "The business date of the run that quarantined it."),
}  # fmt: skip
_LINEAGE_DOCS = {
    "_delivery_date": "The delivery folder's date.",
    "_source_file": "The delivery file, relative to the landing zone.",
    "_source_row": "The row's number in its file.",
    "_loaded_at": "When ingest read the file (UTC).",
}


def _quarantine_table(name: str, contract_columns: tuple[str, ...]) -> Table:
    cols = [Column(c, "varchar", f"{name}.{c} as delivered (text).") for c in contract_columns]
    cols += [Column(c, t.lower(), _LINEAGE_DOCS[c]) for c, t in LINEAGE_COLUMNS.items()]
    cols += [Column(c, t, doc) for c, (t, doc) in REASON_COLUMNS.items()]
    return Table(
        f"{SCHEMA}.{name}",
        f"Delivered {name} rows held back by a row rule (or an erasure), with the rules "
        "they broke: working warehouse only, never published.",
        tuple(cols),
        grain=("_source_file", "_source_row"),
        partition_by=("_source_file",),
    )


QUARANTINE_TABLES = tuple(_quarantine_table(t.name, t.columns) for t in LANDING_TABLES.values())
