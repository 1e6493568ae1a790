"""Finding deliveries in a landing zone: ``<landing>/<table>/<YYYY-MM-DD>/*.csv|*.parquet``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ml.contract import LANDING_TABLES

DATA_SUFFIXES = (".csv", ".parquet")


@dataclass(frozen=True)
class DeliveryFile:
    """One delivered file, and the table and delivery date its folders say it belongs to."""

    table: str
    delivery_date: date
    path: Path
    relative_path: str  # relative to the landing folder; the file's identity in raw._ingested_files

    @property
    def is_parquet(self) -> bool:
        return self.path.suffix.lower() == ".parquet"


@dataclass(frozen=True)
class LandingScan:
    """What a landing folder holds: the files to consider and what was passed over, and why."""

    files: tuple[DeliveryFile, ...]
    skipped: tuple[tuple[str, str], ...]  # (relative path, reason)


def scan_landing_zone(landing: Path, *, up_to: date | None = None) -> LandingScan:
    """List delivery files in table, date and name order.

    Args:
        landing: the landing folder.
        up_to: when given, deliveries dated after it are left for a later night, so a
            backfill of an old date never sees the future.

    Raises:
        FileNotFoundError: the landing folder does not exist.
        ValueError: the folder holds none of the contract's table folders.
    """
    if not landing.is_dir():
        raise FileNotFoundError(f"Landing folder {landing} does not exist.")
    table_dirs = {p.name: p for p in landing.iterdir() if p.is_dir()}
    if not set(table_dirs) & set(LANDING_TABLES):
        raise ValueError(
            f"Landing folder {landing} holds none of the tables "
            f"{', '.join(sorted(LANDING_TABLES))}; expected <landing>/<table>/<YYYY-MM-DD>/*.csv."
        )
    files: list[DeliveryFile] = []
    skipped: list[tuple[str, str]] = []
    root = landing.resolve()
    for name in sorted(table_dirs):
        if (outside := _outside(table_dirs[name], root)) is not None:
            skipped.append((name, outside))
            continue
        if name not in LANDING_TABLES:
            if not name.startswith(("_", ".")):
                skipped.append((name, "not a contract table"))
            continue
        for day_dir in sorted(p for p in table_dirs[name].iterdir()):
            rel_day = f"{name}/{day_dir.name}"
            if (outside := _outside(day_dir, root)) is not None:
                skipped.append((rel_day, outside))
                continue
            delivery_date = _parse_delivery_date(day_dir.name)
            if not day_dir.is_dir() or delivery_date is None:
                skipped.append((rel_day, "not a YYYY-MM-DD delivery folder"))
                continue
            if up_to is not None and delivery_date > up_to:
                continue
            for path in sorted(day_dir.iterdir()):
                rel = f"{rel_day}/{path.name}"
                if path.suffix.lower() not in DATA_SUFFIXES:
                    skipped.append((rel, "not a .csv or .parquet file"))
                    continue
                if (outside := _outside(path, root)) is not None:
                    skipped.append((rel, outside))
                    continue
                files.append(DeliveryFile(name, delivery_date, path, rel))
    return LandingScan(tuple(files), tuple(skipped))


def file_sha256(path: Path, chunk_bytes: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks so large deliveries stay out of memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def _parse_delivery_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def _outside(path: Path, root: Path) -> str | None:
    """Why ``path`` is refused when it is a symlink leading out of the landing zone."""
    if not path.is_symlink():
        return None
    target = path.resolve()
    if target.is_relative_to(root):
        return None
    return (
        f"refused: a symlink to {target}, outside the landing zone {root}; deliveries "
        "must be files inside it (copy the file in instead)"
    )
