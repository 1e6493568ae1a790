"""The champion the service scores with, and its reload when the alias moves.

:class:`ChampionHolder` keeps one immutable :class:`LoadedChampion` (model, version and
the compiled feature SQL it needs). A background thread looks at
``lead_scoring@champion`` every ``reload_poll_seconds``; when it points at another
version, the new one is loaded beside the old and swapped in with one assignment. A
request takes the current champion once at its start and uses it to the end, so no
request is dropped or mixes two versions.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ml.names import LEAD_SCORING as MODEL_NAME
from ml.serving.features import FeatureSql, compile_feature_sql
from ml.settings import Settings

log = logging.getLogger(__name__)
ALIAS = "champion"


class NoChampionError(ValueError):
    """``lead_scoring`` has no ``champion`` version to serve (a ValueError, so the CLI
    prints it as one paragraph and exits 1)."""


@dataclass(frozen=True)
class LoadedChampion:
    """A champion version ready to score: the ExplainableModel and its feature SQL."""

    model_name: str
    version: str
    model: Any  # ml.modelling.model.ExplainableModel
    features: FeatureSql


def champion_version(settings: Settings) -> str | None:
    """The version ``lead_scoring@champion`` points at now, or None."""
    import mlflow

    from ml.registry.aliases import alias_version
    from ml.registry.tracking import configure_mlflow

    configure_mlflow(settings)
    return alias_version(mlflow.MlflowClient(), MODEL_NAME, ALIAS)


def load_champion(settings: Settings, version: str) -> LoadedChampion:
    """Load ``lead_scoring`` version ``version`` and compile the feature SQL for it."""
    from ml.lead_scoring.steps.score import load_lead_model

    model = load_lead_model(f"models:/{MODEL_NAME}/{version}")
    if hasattr(model.estimator, "get_booster"):
        # A request is a few rows: one thread, not the start-up of a pool per prediction
        # (contributions of a row do not depend on how many threads compute them).
        model.estimator.get_booster().set_param({"nthread": 1})
    custom = tuple(c for c in model.spec.columns if c.startswith("attr_"))
    return LoadedChampion(MODEL_NAME, version, model, compile_feature_sql(settings, custom))


class AliasPoller:
    """Calls :meth:`check` every ``poll_seconds`` in a daemon thread, from :meth:`start`
    until :meth:`stop`: how the service notices an alias moved in the MLflow UI or CLI
    (the lead champion here, the deal champion in :mod:`ml.serving.deals`)."""

    thread_name = "alias-poll"

    def __init__(self, poll_seconds: float) -> None:
        self._poll = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        """Look at the alias once; True if it moved."""
        raise NotImplementedError

    def start(self) -> None:
        """Poll the alias in a daemon thread until :meth:`stop`."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._poll):
            self.check()


class ChampionHolder(AliasPoller):
    """The current champion, reloaded in the background when the alias moves."""

    thread_name = "champion-poll"

    def __init__(
        self,
        settings: Settings,
        poll_seconds: float,
        *,
        resolve: Callable[[], str | None] | None = None,
        load: Callable[[str], LoadedChampion] | None = None,
    ) -> None:
        self._resolve = resolve or (lambda: champion_version(settings))
        super().__init__(poll_seconds)
        self._load = load or (lambda version: load_champion(settings, version))
        version = self._resolve()
        if version is None:
            raise NoChampionError(
                f"{MODEL_NAME} has no '{ALIAS}' version in {settings.mlflow_tracking_uri}: "
                "run a night first (salespipe run --date D) or promote a version "
                f"(salespipe models promote {MODEL_NAME} --version N --reason ...)."
            )
        self.current: LoadedChampion = self._load(version)
        log.info("serving %s v%s", MODEL_NAME, version)

    def check(self) -> bool:
        """Look at the alias once; load and swap in a moved champion. True if it moved.

        A failed look or load keeps the current champion (and is logged).
        """
        try:
            version = self._resolve()
            if version is None or version == self.current.version:
                return False
            loaded = self._load(version)
        except Exception:  # keep serving the champion we have
            log.exception("could not reload %s@%s; still serving v%s",
                          MODEL_NAME, ALIAS, self.current.version)  # fmt: skip
            return False
        old, self.current = self.current.version, loaded
        log.info("%s@%s moved: now serving v%s (was v%s)", MODEL_NAME, ALIAS, version, old)
        return True
