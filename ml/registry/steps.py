"""The model registry's steps, as ``salespipe models`` calls them: each does its own I/O
(MLflow, ``monitoring.model_promotions`` in the working warehouse, the republish).

Raises ``duckdb.IOException`` when a nightly run holds the working warehouse.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from ml.catalog import write_partition
from ml.nightly import published_business_date
from ml.registry.aliases import promote_by_hand, rollback_champion
from ml.registry.history import PROMOTIONS, moves_frame
from ml.registry.tracking import configure_mlflow
from ml.settings import Settings
from ml.warehouse.steps import republish_for_readers


def model_versions(name: str, settings: Settings) -> list[tuple[str, list[str], dict]]:
    """(version, its aliases, its tags) of every version of ``name``, newest first."""
    configure_mlflow(settings)
    import mlflow

    client = mlflow.MlflowClient()
    versions = client.search_model_versions(f"name = '{name}'", order_by=["version_number DESC"])
    if not versions:
        return []
    # search results carry no aliases; the registered model has them all
    by_version: dict[str, list[str]] = {}
    for alias, number in client.get_registered_model(name).aliases.items():
        by_version.setdefault(str(number), []).append(alias)
    return [(str(v.version), by_version.get(str(v.version), []), v.tags) for v in versions]


def roll_back(name: str, reason: str | None, actor: str | None, settings: Settings):
    """Move ``name``'s champion back to the previous one and record the move.

    Returns (old version, new version).

    Raises:
        FileNotFoundError: there is no working warehouse yet.
        NoPreviousChampionError: there is no earlier champion to go back to.
    """
    return _move(name, "roll back", lambda client, con: rollback_champion(
        client, con, name, reason, actor=actor), settings)  # fmt: skip


def promote(name: str, version: str, reason: str, actor: str, settings: Settings):
    """Make ``version`` of ``name`` champion by hand (approved by ``actor``, for
    ``reason``) and record the move. Returns the old version.

    Raises:
        FileNotFoundError: there is no working warehouse yet.
    """
    return _move(name, "promote", lambda client, con: promote_by_hand(
        client, con, name, version, reason, actor), settings)  # fmt: skip


def republish_promotions(settings: Settings) -> bool:
    """Republish the warehouse so ``monitoring.model_promotions`` shows a move; False when
    nothing was ever published."""
    business_date = published_business_date(settings)
    if business_date is not None:
        republish_for_readers(business_date, settings)
    return business_date is not None


def _move(name: str, what: str, move: Callable, settings: Settings):
    configure_mlflow(settings)
    import mlflow

    if not settings.work_warehouse.exists():
        noun = "champion" if what == "roll back" else "version"
        raise FileNotFoundError(
            f"No warehouse at {settings.work_warehouse}, so no {name} {noun} to {what}: "
            "run `salespipe run --date YYYY-MM-DD` first."
        )
    with duckdb.connect(str(settings.work_warehouse)) as con:
        # the registry returns the alias moves it made; this step records them
        result, moves = move(mlflow.MlflowClient(), con)
        write_partition(con, PROMOTIONS, moves_frame(moves))
        return result
