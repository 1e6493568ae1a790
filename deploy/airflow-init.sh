#!/usr/bin/env bash
# One-shot setup of a team deployment's Airflow, run by docker-compose's airflow-init
# service (and by the native deployment test, with the same environment):
#   1. migrate the metadata database (Airflow's and the FAB auth manager's tables);
#   2. create the first admin from the environment, refusing a default password;
#   3. create the salespipe_warehouse pool with ONE slot (both in airflow_first_admin.py,
#      so the password is on no command line): DuckDB takes one writer per
#      file, so the tasks that open the working warehouse queue instead of failing on
#      the lock, however many Celery workers there are.
# Idempotent: run it again after an upgrade.
set -euo pipefail

: "${AIRFLOW_ADMIN_USERNAME:?set AIRFLOW_ADMIN_USERNAME (see .env.example)}"
: "${AIRFLOW_ADMIN_PASSWORD:?set AIRFLOW_ADMIN_PASSWORD (see .env.example)}"
: "${AIRFLOW_ADMIN_EMAIL:?set AIRFLOW_ADMIN_EMAIL (see .env.example)}"
case "${AIRFLOW_ADMIN_PASSWORD,,}" in
  change-me* | airflow | admin | password)
    echo "airflow-init: AIRFLOW_ADMIN_PASSWORD is still a default value; set a real one in .env." >&2
    exit 1 ;;
esac
if (( ${#AIRFLOW_ADMIN_PASSWORD} < 12 )); then
  echo "airflow-init: AIRFLOW_ADMIN_PASSWORD has fewer than 12 characters." >&2
  exit 1
fi

AIRFLOW="${AIRFLOW_BIN:-airflow}"
echo "airflow-init: migrating the metadata database ..."
"$AIRFLOW" db migrate
"${PYTHON_BIN:-python}" "$(dirname "$0")/airflow_first_admin.py"
echo "airflow-init: done"
