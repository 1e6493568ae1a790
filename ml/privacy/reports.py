"""Lead ids in the reports salespipe writes: Great Expectations Data Docs list the
unexpected values of a failed expectation with the rows' ids (``result_format`` COMPLETE,
``unexpected_index_column_names``), and those pages stay for every business date.

No report holds an email or a name (nothing past staging has them in clear text), but a
page can name a lead id. An erasure redacts each id it erases in every HTML, JSON or text
file under the reports folder, in place (same mode), as ``[erased]``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

SUFFIXES = (".html", ".json", ".txt", ".csv", ".md")
REDACTED = "[erased]"


def _pattern(lead_ids: Sequence[str]) -> re.Pattern[str] | None:
    if not lead_ids:
        return None
    alternatives = "|".join(re.escape(i) for i in sorted(lead_ids, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_-])(?:{alternatives})(?![A-Za-z0-9_-])")


def find_ids(root: Path, lead_ids: Sequence[str]) -> dict[Path, int]:
    """Report files under ``root`` naming one of ``lead_ids``: path -> occurrences."""
    pattern = _pattern(lead_ids)
    hits: dict[Path, int] = {}
    if pattern is None or not root.is_dir():
        return hits
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix.lower() in SUFFIXES:
            found = len(pattern.findall(path.read_text(encoding="utf-8", errors="replace")))
            if found:
                hits[path] = found
    return hits


def redact_ids(paths: Sequence[Path], lead_ids: Sequence[str]) -> None:
    """Replace each of ``lead_ids`` by ``[erased]`` in ``paths``."""
    pattern = _pattern(lead_ids)
    if pattern is None:
        return
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        fresh = path.with_name(f".{path.name}.erase.tmp")
        fresh.write_text(pattern.sub(REDACTED, text), encoding="utf-8")
        os.chmod(fresh, path.stat().st_mode & 0o777)
        os.replace(fresh, path)
