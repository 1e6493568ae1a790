"""The suites under ``expectations/``, read and checked: raw-table rules and frame suites.

Two kinds of file, both YAML reviewed like code (expectations/README.md):

- ``expectations/raw/<table>.yml``: the row rules of a landing table (types, allowed
  values, ranges, date order, ...). They are compiled to DuckDB SQL
  (:mod:`ml.quality.rules`), because they must run on every delivered row, and
  millions of rows are too many for Great Expectations' pandas engine.
- ``expectations/{marts,ml}/<name>.yml``: Great Expectations suites proper, a list of
  ``expectation_type: kwargs``, run by GX on a DataFrame (:mod:`ml.quality.validation`).

A value written ``{dbt_var: name}`` is read from ``dbt_project.yml``'s vars, so that
configuration such as the stage order lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ml.contract import LANDING_TABLES, LandingTable
from ml.settings import REPO_ROOT

EXPECTATIONS_DIR = REPO_ROOT / "expectations"
DBT_PROJECT_FILE = REPO_ROOT / "dbt_project" / "dbt_project.yml"
TYPES = ("timestamp", "date", "integer", "decimal", "number", "boolean")
SEVERITIES = ("row", "warn")
# A text value longer than this (bytes) is refused: no CRM field needs 64 KiB, and a
# runaway field (a pasted file, a broken export) would bloat every later copy.
DEFAULT_MAX_VALUE_BYTES = 65_536
# A date this many days after its delivery is implausible (9999-12-31, a typo'd year).
DEFAULT_FUTURE_HORIZON_DAYS = 3_650
_COLUMN_KEYS = {
    "not_null",
    "type",
    "in_set",
    "min",
    "regex",
    "not_before",
    "not_after_delivery",
    "severity",
}


class SpecError(ValueError):
    """A suite file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class ColumnRules:
    """The checks on one raw column. ``severity`` row quarantines a row; warn only counts it."""

    column: str
    not_null: bool = False
    type: str | None = None
    in_set: tuple[str, ...] | None = None
    min: float | None = None
    regex: str | None = None
    not_before: str | None = None
    not_after_delivery: bool = False
    severity: str = "row"


@dataclass(frozen=True)
class RawSuite:
    """Row rules of one landing table, with its contract (key, required columns)."""

    contract: LandingTable
    columns: dict[str, ColumnRules]
    version: str | None  # the CDC version column: same key + same version = a duplicate
    max_value_bytes: int
    path: Path
    future_horizon_days: int = DEFAULT_FUTURE_HORIZON_DAYS

    @property
    def name(self) -> str:
        """The suite's name in reports and Data Docs, ``raw.<table>``."""
        return f"raw.{self.contract.name}"


@dataclass(frozen=True)
class FrameSuite:
    """A GX suite: expectations as (type, kwargs), and for marts where to read the rows."""

    name: str
    expectations: tuple[tuple[str, dict[str, Any]], ...]
    table: str | None
    where: str | None
    path: Path


@cache
def dbt_vars() -> dict[str, Any]:
    """The ``vars`` of dbt_project.yml (stage order, activity types, open statuses...)."""
    return yaml.safe_load(DBT_PROJECT_FILE.read_text())["vars"]


def load_raw_suites(directory: Path = EXPECTATIONS_DIR) -> dict[str, RawSuite]:
    """Every landing table's rules, by table name.

    Raises:
        SpecError: a file is missing or malformed (names the file and the key).
    """
    return {
        name: _raw_suite(directory / "raw" / f"{name}.yml", LANDING_TABLES[name])
        for name in LANDING_TABLES
    }


def load_frame_suite(name: str, directory: Path = EXPECTATIONS_DIR) -> FrameSuite:
    """The suite ``name`` (``marts.lead_features``, ``ml.lead_scores``, ...).

    Raises:
        SpecError: no such suite, or its file is malformed.
    """
    layer, _, table = name.partition(".")
    path = directory / layer / f"{table}.yml"
    if layer not in ("marts", "ml") or not table or not path.is_file():
        raise SpecError(f"No suite named {name!r}: expected a file {path}.")
    data = _read(path)
    if data.get("suite") != name:
        raise SpecError(f"{path}: `suite` must be {name!r}, found {data.get('suite')!r}.")
    items = data.get("expectations")
    if not isinstance(items, list) or not items:
        raise SpecError(f"{path}: `expectations` must be a non-empty list.")
    expectations = []
    for index, item in enumerate(items, 1):
        if not (isinstance(item, dict) and len(item) == 1):
            raise SpecError(f"{path}: expectation {index} must be one `type: kwargs` pair.")
        ((kind, kwargs),) = item.items()
        if not (kind.startswith("expect_") and isinstance(kwargs, dict)):
            raise SpecError(f"{path}: expectation {index} ({kind}) needs kwargs as a mapping.")
        expectations.append((kind, {k: _resolve(v, path) for k, v in kwargs.items()}))
    return FrameSuite(name, tuple(expectations), data.get("table"), data.get("where"), path)


def frame_suite_names(layer: str, directory: Path = EXPECTATIONS_DIR) -> list[str]:
    """Names of the suites of one layer (``marts`` or ``ml``), sorted."""
    return sorted(f"{layer}.{p.stem}" for p in (directory / layer).glob("*.yml"))


def _raw_suite(path: Path, contract: LandingTable) -> RawSuite:
    data = _read(path)
    if data.get("table") != contract.name:
        raise SpecError(f"{path}: `table` must be {contract.name!r}.")
    columns = {}
    for column, checks in (data.get("columns") or {}).items():
        if column not in contract.columns:
            raise SpecError(f"{path}: {column} is not a column of {contract.name} in the contract.")
        columns[column] = _column_rules(path, column, checks or {})
    for key in contract.key:
        rules = columns.get(key)
        if rules is None or not rules.not_null or rules.severity != "row":
            raise SpecError(f"{path}: key column {key} must have `not_null: true` (severity row).")
    for rules in columns.values():
        other = columns.get(rules.not_before or "")
        if rules.not_before and (other is None or other.type not in ("timestamp", "date")):
            raise SpecError(
                f"{path}: {rules.column}: not_before needs {rules.not_before} to have type "
                "timestamp or date."
            )
    version = data.get("version")
    if version is not None and version not in contract.columns:
        raise SpecError(f"{path}: version column {version} is not a contract column.")
    max_bytes = int(data.get("max_value_bytes", DEFAULT_MAX_VALUE_BYTES))
    horizon = int(data.get("future_horizon_days", DEFAULT_FUTURE_HORIZON_DAYS))
    return RawSuite(contract, columns, version, max_bytes, path, horizon)


def _column_rules(path: Path, column: str, checks: dict[str, Any]) -> ColumnRules:
    unknown = set(checks) - _COLUMN_KEYS
    if unknown:
        raise SpecError(f"{path}: {column}: unknown check(s) {', '.join(sorted(unknown))}.")
    if checks.get("type") not in (None, *TYPES):
        raise SpecError(f"{path}: {column}: type must be one of {', '.join(TYPES)}.")
    if checks.get("severity", "row") not in SEVERITIES:
        raise SpecError(f"{path}: {column}: severity must be row or warn.")
    in_set = _resolve(checks.get("in_set"), path)
    if in_set is not None and not isinstance(in_set, list):
        raise SpecError(f"{path}: {column}: in_set must be a list of values.")
    kind = checks.get("type")
    if "min" in checks and kind not in ("integer", "decimal", "number"):
        raise SpecError(f"{path}: {column}: min needs type integer, decimal or number.")
    for check in ("not_before", "not_after_delivery"):
        if check in checks and kind not in ("timestamp", "date"):
            raise SpecError(f"{path}: {column}: {check} needs type timestamp or date.")
    return ColumnRules(
        column=column,
        not_null=bool(checks.get("not_null", False)),
        type=checks.get("type"),
        in_set=None if in_set is None else tuple(str(v).strip().lower() for v in in_set),
        min=None if checks.get("min") is None else float(checks["min"]),
        regex=checks.get("regex"),
        not_before=checks.get("not_before"),
        not_after_delivery=bool(checks.get("not_after_delivery", False)),
        severity=checks.get("severity", "row"),
    )


def _resolve(value: Any, path: Path) -> Any:
    if isinstance(value, dict) and set(value) == {"dbt_var"}:
        name = value["dbt_var"]
        if name not in dbt_vars():
            raise SpecError(f"{path}: dbt var {name!r} is not in {DBT_PROJECT_FILE}.")
        return dbt_vars()[name]
    return value


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise SpecError(f"Suite file {path} does not exist.")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise SpecError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SpecError(f"{path} must hold a mapping.")
    return data
