"""Create the first Airflow admin and the warehouse pool; called by airflow-init.sh.

The admin comes from AIRFLOW_ADMIN_USERNAME / _PASSWORD / _EMAIL and is made through
the FAB auth manager's own security manager, so the password never appears on a
command line (``airflow users create --password`` would show it in the process list).
An existing admin is left alone: change its password in the UI, or with
``airflow users reset-password``.
"""

from __future__ import annotations

import os
import sys

WAREHOUSE_POOL = "salespipe_warehouse"  # ml/names.py; tests/deploy checks they agree


def main() -> int:
    from airflow.models.pool import Pool
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

    username = os.environ["AIRFLOW_ADMIN_USERNAME"]
    with get_application_builder() as appbuilder:
        security = appbuilder.sm
        if security.find_user(username=username):
            print(f"airflow-init: admin {username} exists; its password is left as it is.")
        else:
            user = security.add_user(
                username,
                "Airflow",
                "Admin",
                os.environ["AIRFLOW_ADMIN_EMAIL"],
                security.find_role("Admin"),
                os.environ["AIRFLOW_ADMIN_PASSWORD"],
            )
            if not user:
                print(f"airflow-init: could not create admin {username}.", file=sys.stderr)
                return 1
            print(f"airflow-init: admin {username} created.")
    # DuckDB takes one writer per file: one slot, however many Celery workers there are.
    Pool.create_or_update_pool(
        WAREHOUSE_POOL,
        1,
        "salespipe working warehouse: DuckDB takes one writer per file",
        include_deferred=False,
    )
    print(f"airflow-init: pool {WAREHOUSE_POOL} = 1 slot.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
