"""Use-case models as MLflow pyfuncs whose fitted object is one joblib artifact.

Each use case subclasses :class:`JoblibPythonModel` (naming its artifact and writing
``predict``) in a model-from-code file MLflow stores with the version, and logs it with
:func:`log_joblib_model`. salespipe itself unwraps the fitted object
(:func:`load_fitted`) to reach what the generic ``predict`` cannot give (exact
contributions, market covariates).
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

import joblib
import mlflow.pyfunc

from ml.faults import kill_point


class JoblibPythonModel(mlflow.pyfunc.PythonModel):
    """Loads the fitted object from the ``ARTIFACT_KEY`` artifact into ``self.fitted``."""

    ARTIFACT_KEY = "fitted"
    fitted: Any = None

    def load_context(self, context) -> None:
        self.fitted = joblib.load(context.artifacts[self.ARTIFACT_KEY])


def pinned_requirements(*names: str) -> list[str]:
    """``name==version`` from this environment: inferring them is slow and drags torch in."""
    return [f"{name}=={version(name)}" for name in names]


def log_joblib_model(
    fitted: Any, model_file: Path, artifact_key: str, model_name: str, **log_model_args: Any
) -> str:
    """Log ``fitted`` with the model-from-code ``model_file`` in the active run, register it
    as a new version of ``model_name``; returns the version number."""
    with tempfile.TemporaryDirectory() as folder:
        artifact = Path(folder) / f"{artifact_key}.joblib"
        joblib.dump(fitted, artifact)
        # MLflow copies the code file with its mode (644 in a checkout): copy it first, so
        # the artifact is created under the process's umask like every other (ml.access)
        code = Path(folder) / model_file.name
        code.write_bytes(model_file.read_bytes())
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(code),
            artifacts={artifact_key: str(artifact)},
            registered_model_name=model_name,
            **log_model_args,
        )
    kill_point("registry:registered")  # fault injection: a version with no tags yet
    return str(info.registered_model_version)


def load_fitted(model_uri: str, moved_modules: Mapping[str, str] | None = None) -> Any:
    """The fitted object of a registered version (``models:/name/3``).

    ``moved_modules`` (old module path -> new) lets a version registered before a module
    moved load after it (:func:`old_module_paths`).
    """
    with old_module_paths(moved_modules or {}):
        return mlflow.pyfunc.load_model(model_uri).unwrap_python_model().fitted


@contextmanager
def old_module_paths(moved: Mapping[str, str]) -> Iterator[None]:
    """While a version loads, each old module path in ``moved`` names its new module.

    A version's fitted object is a pickle, which names each class by the module it lived
    in when the version was registered, and its model-from-code file imports the pyfunc
    class by its module path then. Without this, moving a module would leave every
    version registered before unloadable (``ModuleNotFoundError``), the champion
    included. The old paths are put back as they were afterwards (an old path that is
    now a package, ``ml.lead_scoring.model``, is the package again).
    """
    saved = {old: sys.modules.get(old) for old in moved}
    try:
        for old, new in moved.items():
            sys.modules[old] = importlib.import_module(new)
        yield
    finally:
        for old, module in saved.items():
            if module is None:
                sys.modules.pop(old, None)
            else:
                sys.modules[old] = module
