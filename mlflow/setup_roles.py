#!/usr/bin/env python3
"""Set up who may do what on the tracking server: roles, the service account, people.

Run it as an MLflow admin (it is idempotent; run it again after adding people):

    MLFLOW_TRACKING_USERNAME=admin MLFLOW_TRACKING_PASSWORD=... \\
    SALESPIPE_MLFLOW_PASSWORD=... \\
    python mlflow/setup_roles.py --server http://127.0.0.1:5000 \\
        [--user alice ml-engineer] [--user bob viewer] [--user carol admin]

- Roles (ml/registry/access.py): ``viewer`` (read only), ``ml-engineer`` (register
  versions, move aliases), ``pipeline`` (the nightly service account); ``admin`` is
  MLflow's admin flag.
- The service account ``SALESPIPE_MLFLOW_USER`` (default ``salespipe-nightly``) gets the
  ``pipeline`` role and the password ``SALESPIPE_MLFLOW_PASSWORD``: the nightly tasks log
  in with it, never as admin.
- A person's password comes from ``MLFLOW_USER_PASSWORD_<NAME>`` (upper case, ``-`` as
  ``_``), or is asked for when run in a terminal.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository's ml/

from ml.registry.access import (
    PIPELINE,
    ROLES,
    AccessSetupError,
    UserSpec,
    ensure_roles,
    ensure_user,
)  # noqa: E402


def _password_for(username: str) -> str:
    variable = "MLFLOW_USER_PASSWORD_" + username.upper().replace("-", "_").replace(".", "_")
    if os.environ.get(variable):
        return os.environ[variable]
    if sys.stdin.isatty():
        return getpass.getpass(f"Password for {username}: ")
    raise AccessSetupError(f"No password for {username}: set {variable} or run in a terminal.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--server",
        default=os.environ.get("SALESPIPE_MLFLOW_TRACKING_URI"),
        help="the tracking server (default $SALESPIPE_MLFLOW_TRACKING_URI)",
    )
    parser.add_argument(
        "--user",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "ROLE"),
        help=f"a person and one of {', '.join(ROLES)}",
    )
    parser.add_argument(
        "--no-service-account", action="store_true", help="leave the nightly service account alone"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.server:
        parser.error("give --server or set SALESPIPE_MLFLOW_TRACKING_URI")
    if not (
        os.environ.get("MLFLOW_TRACKING_USERNAME") and os.environ.get("MLFLOW_TRACKING_PASSWORD")
    ):
        parser.error("log in as an MLflow admin: set MLFLOW_TRACKING_USERNAME and _PASSWORD")

    from mlflow.exceptions import MlflowException
    from mlflow.server.auth.client import AuthServiceClient

    client = AuthServiceClient(args.server.rstrip("/"))
    try:
        role_ids = ensure_roles(client)
        specs = []
        if not args.no_service_account:
            password = os.environ.get("SALESPIPE_MLFLOW_PASSWORD")
            if not password:
                raise AccessSetupError(
                    "SALESPIPE_MLFLOW_PASSWORD is not set: the nightly service account needs "
                    "a password (or pass --no-service-account)."
                )
            name = os.environ.get("SALESPIPE_MLFLOW_USER") or "salespipe-nightly"
            specs.append(UserSpec(name, password, PIPELINE))
        specs += [UserSpec(name, _password_for(name), role) for name, role in args.user]
        for spec in specs:
            ensure_user(client, spec, role_ids)
    except (AccessSetupError, MlflowException) as exc:
        print(f"setup_roles: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
