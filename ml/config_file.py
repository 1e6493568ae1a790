"""Optional per-install configuration: ``$SALESPIPE_HOME/salespipe.yml`` (or the file
``$SALESPIPE_CONFIG`` names), one section per use case::

    lead_scoring:
      label_window_days: 60
      grade_cutoffs: [0.6, 0.35, 0.15]
      xgboost: {max_depth: 4}

A section fills the fields of that use case's frozen config dataclass; anything left out
keeps its default. An unknown key or a value of the wrong kind stops with a message that
names the file, the section and the key, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """The configuration file is not valid."""


def load_section(path: Path | None, section: str, cls: type[T]) -> T:
    """The ``section`` of the YAML file at ``path`` as a ``cls``; defaults when absent.

    Raises:
        ConfigError: the file is not YAML, the section is not a mapping, a key is
            unknown, or a value does not fit its field.
    """
    if path is None or not path.exists():
        return cls()
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise ConfigError(f"{path} must hold a mapping of sections, got {type(document).__name__}")
    return _build(cls, document.get(section) or {}, f"{path}: {section}")


def _build(cls: type[T], values: Any, where: str) -> T:
    if not isinstance(values, dict):
        raise ConfigError(f"{where} must be a mapping, got {values!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(fields))}"
        )
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            kwargs[name] = _build(hint, value, f"{where}.{name}")
        elif typing.get_origin(hint) is tuple:
            if not isinstance(value, list):
                raise ConfigError(f"{where}.{name} must be a list, got {value!r}")
            kwargs[name] = tuple(value)
        elif hint in (int, float) and (
            isinstance(value, bool) or not isinstance(value, (int, float))
        ):
            raise ConfigError(f"{where}.{name} must be a number, got {value!r}")
        else:
            kwargs[name] = value
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def flat_params(config: Any) -> dict[str, object]:
    """A use case's config dataclass as flat ``name -> value`` pairs for
    ``mlflow.log_params``; a nested section (``xgboost``) becomes ``xgboost.<field>``."""
    flat: dict[str, object] = {}
    for key, value in dataclasses.asdict(config).items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def check_split_fractions(holdout_fraction: float, calibration_fraction: float) -> None:
    """The time-ordered split's two shares, each strictly between 0 and 1.

    Raises:
        ValueError: either is outside (0, 1).
    """
    if not 0 < holdout_fraction < 1 or not 0 < calibration_fraction < 1:
        raise ValueError("holdout_fraction and calibration_fraction must be in (0, 1)")
