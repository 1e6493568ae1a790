"""Helpers for the quality tests: delivery lines, a landing folder, and table readers."""

from __future__ import annotations

from pathlib import Path

import duckdb

LEADS_HEADER = "lead_id,created_at,updated_at,source,status,email"
OPPS_HEADER = "opportunity_id,account_id,created_at,updated_at,stage,amount,close_date"
ACTIVITIES_HEADER = "activity_id,occurred_at,activity_type,lead_id"


def lead(lead_id: str = "L1", *, updated: str = "2024-01-01T09:00:00Z", **values: str) -> str:
    """One leads CSV line in LEADS_HEADER's order; keyword arguments replace fields."""
    row = {
        "lead_id": lead_id,
        "created_at": "2024-01-01T08:00:00Z",
        "updated_at": updated,
        "source": "web",
        "status": "open",
        "email": f"{lead_id.lower() or 'x'}@example.com",
    }
    row.update(values)
    return ",".join(row.values())


def opp(opportunity_id: str = "O1", **values: str) -> str:
    """One opportunities CSV line in OPPS_HEADER's order; keyword arguments replace fields."""
    row = {
        "opportunity_id": opportunity_id,
        "account_id": "A1",
        "created_at": "2024-01-01T08:00:00Z",
        "updated_at": "2024-01-01T09:00:00Z",
        "stage": "prospecting",
        "amount": "100.00",
        "close_date": "2024-02-01",
    }
    row.update(values)
    return ",".join(row.values())


class Landing:
    """A landing folder under tmp_path: ``write`` drops a delivery file into it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, rel: str, content: str | bytes, *lines: str) -> Path:
        """Write ``content`` (a header, or raw bytes) plus ``lines`` to ``<root>/<rel>``."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text("\n".join([content, *lines]) + "\n")
        return path


def quarantined(con: duckdb.DuckDBPyConnection, table: str, key: str) -> list[tuple]:
    """(key, rules, source file, source row) of every quarantined row, in file order."""
    return con.execute(
        f"select {key}, _rules, _source_file, _source_row from quarantine.{table} "
        "order by _source_file, _source_row"
    ).fetchall()


def raw_keys(con: duckdb.DuckDBPyConnection, table: str, key: str) -> list[str]:
    return [k for (k,) in con.execute(f"select {key} from raw.{table} order by all").fetchall()]


def file_record(con: duckdb.DuckDBPyConnection, path: str) -> tuple:
    """(status, rows loaded, rows delivered, rows quarantined, reason) of one file."""
    return con.execute(
        "select status, row_count, rows_delivered, rows_quarantined, reason "
        "from raw._ingested_files where path = ?",
        [path],
    ).fetchone()
