"""Commands that read an install's state refuse to invent a new one.

``$SALESPIPE_HOME`` defaults to ``.salespipe`` in the working folder, so a command run
from another folder would otherwise open (and create) an empty store there and report
"nothing yet". These checks say where salespipe looked and how to point it at the
right folder instead.
"""

from __future__ import annotations

from pathlib import Path

from ml.settings import HOME_VAR, Settings


class MissingStateError(Exception):
    """The state a command reads is not where the settings point; nothing was created."""


def where_salespipe_looked(settings: Settings) -> str:
    """One sentence: the home in use and what chose it, and how to choose another."""
    if settings.home_from_environment:
        origin = f"set by {HOME_VAR}"
    else:
        origin = f"the default: .salespipe in the current folder, as {HOME_VAR} is not set"
    return (
        f"salespipe looked in {settings.home} ({origin}). If your install's state is "
        f"elsewhere, set {HOME_VAR} to that folder, or cd to the folder that holds its "
        ".salespipe (`salespipe info` there prints it)."
    )


def require_state(settings: Settings, path: Path, consequence: str) -> None:
    """Raise unless ``path`` (a file or folder of the install's state) exists.

    Raises:
        MissingStateError: naming ``path``, what its absence means (``consequence``),
            where salespipe looked and how to point it elsewhere.
    """
    if path.exists():
        return
    raise MissingStateError(
        f"No {_describe(settings, path)} at {path}, so {consequence}. "
        + where_salespipe_looked(settings)
    )


def _describe(settings: Settings, path: Path) -> str:
    names = {
        settings.home: "salespipe state",
        settings.mlflow_store: "MLflow store",
        settings.work_warehouse: "working warehouse",
        settings.warehouse: "published warehouse",
        settings.airflow_home: "Airflow home",
    }
    return names.get(path, "file")


def require_model_store(settings: Settings, consequence: str) -> None:
    """Raise unless this install's MLflow store exists: the embedded SQLite file under
    the home. A team deployment's tracking server (``settings.mlflow_is_remote``) holds
    no file here, so there is nothing to check.

    Raises:
        MissingStateError: as :func:`require_state`.
    """
    if not settings.mlflow_is_remote:
        require_state(settings, settings.mlflow_store, consequence)
