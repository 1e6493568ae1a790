"""Write a mapped export as a contract-shaped landing zone, with its notes and exclusions.

The whole export is one delivery: every table lands in
``<out>/<table>/<delivery_date>/<table>.csv`` (docs/landing-and-raw.md), with every
contract column of the table in contract order (the ones the export lacks are empty)
and its custom fields after them. ``<out>/_mapping.json`` carries the leakage columns
and the notes, so the landing zone says itself which columns no model may use.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ml.contract import LANDING_MARKER, LANDING_TABLES
from ml.mapping.build import table_frame
from ml.mapping.notes import export_notes, leakage_columns
from ml.mapping.spec import MappingSpec
from ml.mapping.validate import check_mapping

MARKER_FILE = LANDING_MARKER
WRITER = "salespipe mapping"


@dataclass(frozen=True)
class MappedExport:
    """What ``apply_mapping`` wrote: the folder, rows per table, and what to know about it.

    ``leakage_columns`` lists, per mapped table, the landing columns that must never
    become model features; ``missing_tables`` the contract tables the export lacks.
    """

    out: Path
    rows: dict[str, int]
    delivery_date: date
    leakage_columns: dict[str, list[str]]
    notes: list[str]
    missing_tables: list[str]


def apply_mapping(spec: MappingSpec, out: Path) -> MappedExport:
    """Map the export that ``spec`` describes into a landing zone at ``out``.

    ``spec`` comes from ``load_mapping``; the export is checked again, since its files
    may have changed since. A landing zone this function wrote before at ``out`` is
    replaced, only once the new one is complete; nothing else is ever deleted. The same
    spec and files always give the same bytes.

    Raises:
        MappingError: the mapping or the export has problems (all of them are listed).
        ValueError: ``out`` is a file, or a non-empty folder this function did not write.
    """
    out = Path(out)
    spec, mapped = check_mapping(spec)
    assert spec.delivery_date is not None  # check_mapping resolves it or raises
    check_output(out)
    leakage, leakage_notes = leakage_columns(spec, mapped)
    # Written beside ``out`` and swapped in at the end, so a failed run leaves the
    # previous output whole.
    staging = out.parent / f".{out.name}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    rows: dict[str, int] = {}
    for table in sorted(spec.tables, key=list(LANDING_TABLES).index):
        frame = table_frame(table, mapped)
        folder = staging / table / spec.delivery_date.isoformat()
        folder.mkdir(parents=True)
        frame.to_csv(folder / f"{table}.csv", index=False, lineterminator="\n", encoding="utf-8")
        rows[table] = len(frame)
    result = MappedExport(
        out=out,
        rows=rows,
        delivery_date=spec.delivery_date,
        leakage_columns=leakage,
        notes=export_notes(spec, mapped) + leakage_notes,
        missing_tables=[t for t in LANDING_TABLES if t not in spec.tables],
    )
    _write_marker(staging / MARKER_FILE, spec, result)
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return result


def check_output(out: Path) -> None:
    """Check that ``out`` may be (re)written: missing, empty, or written by ``apply_mapping``.

    Raises:
        ValueError: ``out`` is a file, or a non-empty folder holding anything else.
    """
    if out.exists() and not out.is_dir():
        raise ValueError(f"Cannot write a landing zone to {out}: it is a file, not a folder.")
    if not out.exists() or not any(out.iterdir()):
        return
    names = sorted(p.name for p in out.iterdir())
    foreign = [n for n in names if n not in LANDING_TABLES and n != MARKER_FILE]
    if foreign or not _is_own_marker(out / MARKER_FILE):
        shown = ", ".join((foreign or names)[:3])
        raise ValueError(
            f"Refusing to write into {out}: it is not empty and is not a landing zone written "
            f"from a mapping (found {shown}); choose an empty or new folder."
        )


def _write_marker(path: Path, spec: MappingSpec, result: MappedExport) -> None:
    marker = {
        "written_by": WRITER,
        "mapping": spec.name,
        "delivery_date": result.delivery_date.isoformat(),
        "rows": result.rows,
        "missing_tables": result.missing_tables,
        "leakage_columns": result.leakage_columns,
        "final_state_tables": list(spec.final_state_tables),
        "notes": result.notes,
    }
    text = json.dumps(marker, indent=2, sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def _is_own_marker(path: Path) -> bool:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("written_by") == WRITER
    except (OSError, ValueError, AttributeError):
        return False
