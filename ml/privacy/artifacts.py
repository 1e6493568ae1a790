"""Rows of a person in MLflow artifacts: the tables a training keeps with its run
(drift reference samples, any parquet, CSV or JSON table with a ``lead_id`` column).

Every artifact file under the install's artifact root is looked at; a table whose
columns include ``lead_id`` loses the person's rows, rewritten in place (same path, same
mode), so the run, its version and the drift monitor keep working. Tables without a
``lead_id`` column hold no row of a lead (input examples are synthetic, backtest tables
are per segment) and are left alone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

SUFFIXES = (".parquet", ".csv", ".json")


@dataclass(frozen=True)
class ArtifactHit:
    """An artifact file holding ``rows`` rows of the person."""

    path: Path
    rows: int


def find_rows(root: Path, lead_ids: Sequence[str]) -> list[ArtifactHit]:
    """Artifact tables under ``root`` holding rows of ``lead_ids`` (nothing is changed)."""
    hits = []
    for path in _tables(root):
        frame = _read(path)
        if frame is not None:
            rows = int(frame["lead_id"].astype(str).isin(set(lead_ids)).sum())
            if rows:
                hits.append(ArtifactHit(path, rows))
    return hits


def erase_rows(hits: Sequence[ArtifactHit], lead_ids: Sequence[str]) -> None:
    """Rewrite each file of ``hits`` without the rows of ``lead_ids``."""
    for hit in hits:
        frame = _read(hit.path)
        assert frame is not None
        _write(hit.path, frame[~frame["lead_id"].astype(str).isin(set(lead_ids))])


def _tables(root: Path) -> Iterator[Path]:
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix.lower() in SUFFIXES:
                yield path


def _read(path: Path) -> pd.DataFrame | None:
    """The file as a frame if it is a table with a ``lead_id`` column, else None."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            if "lead_id" not in pq.read_schema(path).names:
                return None
            return pd.read_parquet(path)
        if suffix == ".csv":
            with path.open(encoding="utf-8", errors="replace") as handle:
                if "lead_id" not in handle.readline():
                    return None
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            return frame if "lead_id" in frame.columns else None
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    split = payload.get("dataframe_split", payload) if isinstance(payload, dict) else None
    if isinstance(split, dict) and "lead_id" in (split.get("columns") or []):
        return pd.DataFrame(split.get("data") or [], columns=split["columns"])
    return None


def _write(path: Path, frame: pd.DataFrame) -> None:
    fresh = path.with_name(f".{path.name}.erase.tmp")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame.to_parquet(fresh, index=False)
    elif suffix == ".csv":
        frame.to_csv(fresh, index=False)
    else:
        payload = json.loads(path.read_text(encoding="utf-8"))
        split = {"columns": list(frame.columns), "data": frame.values.tolist()}
        target = payload.get("dataframe_split", payload)
        target.pop("index", None)
        target.update(split)
        fresh.write_text(json.dumps(payload), encoding="utf-8")
    os.chmod(fresh, path.stat().st_mode & 0o777)
    os.replace(fresh, path)
