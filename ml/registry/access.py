"""Who may do what on a team's MLflow tracking server (``mlflow server --app-name basic-auth``).

Roles are MLflow 3's own RBAC roles (in the ``default`` workspace, which is where grants
live while workspaces are off), each a set of permissions on every experiment and every
registered model:

- ``viewer``: reads runs, models and aliases; changes nothing.
- ``ml-engineer``: reads runs; registers model versions and moves aliases
  (``champion``, ``challenger``): promotion and rollback by hand.
- ``pipeline``: the nightly service account: logs runs and artifacts, registers versions,
  moves aliases through the promotion gate. Not an admin.
- ``admin`` is not a role but MLflow's admin flag: users, roles and every permission.

The server's ``default_permission`` is ``NO_PERMISSIONS`` (``mlflow/basic_auth.ini.template``):
a user without a role sees nothing, an anonymous request gets 401.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

ADMIN = "admin"
ML_ENGINEER = "ml-engineer"
VIEWER = "viewer"
PIPELINE = "pipeline"
WORKSPACE = "default"

# role -> [(resource type, pattern, permission)]
ROLE_GRANTS: dict[str, list[tuple[str, str, str]]] = {
    VIEWER: [("experiment", "*", "READ"), ("registered_model", "*", "READ")],
    ML_ENGINEER: [("experiment", "*", "READ"), ("registered_model", "*", "EDIT")],
    PIPELINE: [("experiment", "*", "EDIT"), ("registered_model", "*", "EDIT")],
}
ROLE_DESCRIPTIONS = {
    VIEWER: "Read-only: runs, models, versions and aliases.",
    ML_ENGINEER: "Reads runs; registers model versions and moves aliases (promote, roll back).",
    PIPELINE: "The nightly service account: logs runs, registers versions, runs the gate.",
}
ROLES = (ADMIN, ML_ENGINEER, VIEWER, PIPELINE)


class AccessSetupError(RuntimeError):
    """The tracking server refused a user or role change; the message says which."""


@dataclass(frozen=True)
class UserSpec:
    """A user to create (or update) on the server, with one role."""

    username: str
    password: str
    role: str


def ensure_roles(client) -> dict[str, int]:
    """Create the roles of :data:`ROLE_GRANTS` (or add their missing grants); idempotent.

    ``client`` is ``mlflow.server.auth.client.AuthServiceClient`` logged in as an admin.
    Returns role name -> role id.
    """
    existing = {role.name: role for role in client.list_roles(WORKSPACE)}
    ids: dict[str, int] = {}
    for name, grants in ROLE_GRANTS.items():
        role = existing.get(name) or client.create_role(WORKSPACE, name, ROLE_DESCRIPTIONS[name])
        have = {
            (p.resource_type, p.resource_pattern): p for p in client.list_role_permissions(role.id)
        }
        for resource_type, pattern, permission in grants:
            current = have.get((resource_type, pattern))
            if current is None:
                client.add_role_permission(role.id, resource_type, pattern, permission)
            elif current.permission != permission:
                client.update_role_permission(current.id, permission)
        ids[name] = role.id
        log.info("role %s: %s", name, ", ".join(f"{t} {p} {perm}" for t, p, perm in grants))
    return ids


def ensure_user(client, spec: UserSpec, role_ids: dict[str, int]) -> None:
    """Create ``spec.username`` (or reset its password) and give it exactly ``spec.role``.

    Raises:
        AccessSetupError: the role is unknown.
    """
    from mlflow.exceptions import MlflowException

    if spec.role not in ROLES:
        raise AccessSetupError(
            f"Unknown role {spec.role!r} for user {spec.username!r}: choose one of "
            f"{', '.join(ROLES)}."
        )
    try:
        client.get_user(spec.username)
        client.update_user_password(spec.username, spec.password)
        log.info("user %s exists: password updated", spec.username)
    except MlflowException:
        client.create_user(spec.username, spec.password)
        log.info("user %s created", spec.username)
    client.update_user_admin(spec.username, spec.role == ADMIN)
    current = {role.name: role.id for role in client.list_user_roles(spec.username)}
    for name, role_id in current.items():
        if name != spec.role and name in ROLE_GRANTS:
            client.unassign_role(spec.username, role_id)
    if spec.role in ROLE_GRANTS and spec.role not in current:
        client.assign_role(spec.username, role_ids[spec.role])
    log.info("user %s has role %s", spec.username, spec.role)
