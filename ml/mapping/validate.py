"""Check a mapping against the contract and against the export's files, before loading.

``load_mapping`` reads the YAML, then checks, collecting every problem rather than
stopping at the first: tables and columns exist in the contract, required columns are
mapped, custom fields are named ``attr_<snake_case>``, value maps and constants give
allowed values and dates, the source files and their columns exist, every value of a
closed vocabulary (stages, statuses) maps to an allowed one, and a delivery date is
known. Value checks run only on table blocks without earlier problems, since a block
that names a missing column cannot be mapped.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ml.mapping.build import build
from ml.mapping.checks import contract_problems, file_problems, format_problems, value_problems
from ml.mapping.parse import parse_mapping
from ml.mapping.sources import SourceFiles
from ml.mapping.spec import MappingError, MappingSpec, Problem, TablePart, read_yaml
from ml.mapping.transform import MappedFile, latest_updated_at

NO_DELIVERY_DATE = Problem(
    "delivery_date",
    "not set, and no mapped updated_at value is a date to take it from; "
    "set delivery_date: YYYY-MM-DD (the day the export was taken)",
)


def load_mapping(path: Path, source_dir: Path | None = None) -> MappingSpec:
    """Read and check the mapping at ``path`` and the export files it names.

    Source file names are relative to ``source_dir`` (the export's folder, which
    ``salespipe ingest --landing`` names), or to the mapping file's folder when None.
    Returns the spec, with ``delivery_date`` filled in: the mapping's own, or else the
    latest date among the mapped ``updated_at`` values.

    Raises:
        MappingError: listing every problem found, each naming the mapping file.
    """
    path = Path(path)
    spec, problems = parse_mapping(read_yaml(path), path)
    if source_dir is not None:
        spec = replace(spec, source_dir=Path(source_dir))
    return check_mapping(spec, problems)[0]


def check_mapping(
    spec: MappingSpec, problems: list[Problem] | None = None
) -> tuple[MappingSpec, list[MappedFile]]:
    """Check ``spec`` against the contract and its files, and map the export if it passes.

    ``problems`` are ones found earlier (parsing), reported together with these.
    Returns the spec with its delivery date resolved, and every source file mapped.

    Raises:
        MappingError: listing every problem found.
    """
    problems = list(problems or [])
    files = SourceFiles(spec.folder)
    for part in spec.parts:
        problems += contract_problems(part, spec.stages)
        problems += file_problems(part, files)
    if spec.delivery_date is None and not _dates_in_export(spec):
        problems.append(NO_DELIVERY_DATE)
    clean_parts = [p for p in spec.parts if not _has_problems(p, problems)]
    if any(not p.where.startswith("tables") for p in problems) or not clean_parts:
        _raise(spec, problems)
    mapped, build_problems = build(spec, files, clean_parts)
    problems += build_problems
    for item in mapped:
        problems += format_problems(item)
        problems += value_problems(item, spec.stages)
    _raise(spec, problems)
    if spec.delivery_date is None:
        derived = latest_updated_at(mapped)
        if derived is None:
            _raise(spec, [NO_DELIVERY_DATE])
        spec = replace(spec, delivery_date=derived, delivery_date_derived=True)
        mapped, _ = build(spec, files)
    return spec, mapped


def _dates_in_export(spec: MappingSpec) -> bool:
    """Whether some table takes updated_at from a source column (a delivery date may be in it)."""
    return any(
        source.column is not None
        for part in spec.parts
        if (column := part.column("updated_at")) is not None
        for source in column.sources
    )


def _has_problems(part: TablePart, problems: list[Problem]) -> bool:
    return any(
        p.where == part.where or p.where.startswith((part.where + ".", part.where + "["))
        for p in problems
    )


def _raise(spec: MappingSpec, problems: list[Problem]) -> None:
    if problems:
        raise MappingError([p.text(spec.name) for p in problems])
