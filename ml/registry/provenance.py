"""What a model version was made from: the code and the data, as tags."""

from __future__ import annotations

import hashlib
import subprocess
from importlib.metadata import PackageNotFoundError, version

import pandas as pd

from ml.settings import REPO_ROOT


def code_version() -> str:
    """``salespipe <version>``, plus the git commit (and ``-dirty``) when run from a checkout."""
    try:
        package = version("salespipe")
    except PackageNotFoundError:
        package = "unknown"
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"salespipe {package}" + (f" ({commit})" if commit else "")


def data_fingerprint(frame: pd.DataFrame) -> str:
    """A SHA-256 over every value of ``frame`` (row order included): equal data, equal print."""
    digest = hashlib.sha256()
    digest.update(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]
