"""Who may read what on disk: everything under the home is the owner's alone, except the
published warehouse, which a configured group (BI tools) may read.

- Every salespipe process (and Airflow, dbt and MLflow, which it starts) runs with umask
  077, so each file it creates is 600 and each folder 700: the working warehouse (clear
  text personal data in raw, staging and quarantine), the MLflow store and artifacts,
  Airflow's database and logs, reports, secrets.
- The published file gets mode 640 and the group ``SALESPIPE_BI_GROUP`` when one is
  set, else 600; ``SALESPIPE_PUBLISHED_MODE`` (octal) overrides. The folders above it get
  only the search bit (``x``) the readers need to reach it, never the right to list.
- Secrets are written 600 from the start (no window where they are readable).
"""

from __future__ import annotations

import grp
import json
import os
import secrets
from pathlib import Path

from ml.settings import Settings

PRIVATE_UMASK = 0o077


def private_by_default() -> None:
    """Make files this process (and its children) creates private to the owner."""
    os.umask(PRIVATE_UMASK)


def published_mode(settings: Settings) -> int:
    """The mode of the published warehouse file."""
    if settings.published_mode is not None:
        return settings.published_mode
    return 0o640 if settings.bi_group else 0o600


def _group_id(settings: Settings) -> int | None:
    """The BI group's id, or None without one.

    Raises:
        ValueError: the group does not exist.
    """
    if not settings.bi_group:
        return None
    try:
        return grp.getgrnam(settings.bi_group).gr_gid
    except KeyError:
        raise ValueError(
            f"SALESPIPE_BI_GROUP names the group {settings.bi_group!r}, which does not exist "
            "on this machine; create it or unset the variable."
        ) from None


def grant_readers(path: Path, settings: Settings) -> None:
    """Give the published file (and the folders above it, up to the home) the access BI
    tools need: the group and mode of :func:`published_mode`, and search (``x``) bits."""
    mode = published_mode(settings)
    gid = _group_id(settings)
    if gid is not None:
        os.chown(path, -1, gid)
    os.chmod(path, mode)
    search = (0o010 if mode & 0o040 else 0) | (0o001 if mode & 0o004 else 0)
    folder = path.parent
    while folder.is_relative_to(settings.home):
        if gid is not None:
            os.chown(folder, -1, gid)
        os.chmod(folder, 0o700 | search)
        if folder == settings.home:
            break
        folder = folder.parent


def secure_home(settings: Settings) -> None:
    """Close an existing home to others (an install made before umask 077 had 755
    folders and 644 files at its top): the home and the published file's folder keep only
    the search bits BI readers need; secrets, the working warehouse and their folders 700."""
    mode = published_mode(settings)
    search = (0o010 if mode & 0o040 else 0) | (0o001 if mode & 0o004 else 0)
    for folder, folder_mode in (
        (settings.home, 0o700 | search),
        (settings.warehouse.parent, 0o700 | search),
        (settings.home / "secrets", 0o700),
        (settings.work_warehouse.parent, 0o700),
        (settings.airflow_home, 0o700),
        (settings.home / "mlflow", 0o700),
    ):
        if folder.is_dir():
            os.chmod(folder, folder_mode)
    if settings.work_warehouse.exists():
        os.chmod(settings.work_warehouse, 0o600)


def write_secret(path: Path, text: str) -> None:
    """Create ``path`` with mode 600 holding ``text`` (never readable by others, not even
    for a moment); an existing file is left as it is."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def ensure_airflow_password(settings: Settings) -> Path:
    """The Airflow UI's admin password file, made by salespipe (600) before Airflow starts.

    Airflow's simple auth manager generates a password on first start and prints it to
    stdout; with the file already holding one, it does neither. Returns the file's path.
    """
    path = settings.airflow_password_file
    if not path.exists():
        write_secret(path, json.dumps({"admin": secrets.token_urlsafe(18)}) + "\n")
    os.chmod(path, 0o600)
    return path


def ensure_api_token(settings: Settings) -> Path:
    """The local scoring API's bearer token file (600), made once: printed hints read it
    with ``$(cat ...)``, so the token never reaches a terminal's or CI's log."""
    path = settings.api_token_file
    if not path.exists():
        write_secret(path, secrets.token_urlsafe(18) + "\n")
    os.chmod(path, 0o600)
    return path
