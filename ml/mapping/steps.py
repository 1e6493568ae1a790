"""The mapping's step, as ``salespipe ingest --mapping`` calls it."""

from __future__ import annotations

from pathlib import Path

from ml.mapping.apply import MappedExport, apply_mapping
from ml.mapping.validate import load_mapping


def map_export(mapping: Path, export: Path, landing: Path) -> MappedExport:
    """Check ``mapping`` against the export in ``export``, then write the export into
    ``landing`` as one delivery in the contract's shape.

    Raises:
        MappingError: the mapping does not fit the export (nothing is written); the
            message names the file, column and value.
    """
    return apply_mapping(load_mapping(mapping, source_dir=export), landing)
