#!/usr/bin/env bash
# Run once by the postgres image on an empty volume (/docker-entrypoint-initdb.d):
# POSTGRES_DB (Airflow's metadata) exists already; create MLflow's two databases.
set -euo pipefail
for db in "${MLFLOW_DB_NAME:?}" "${MLFLOW_AUTH_DB_NAME:?}"; do
  echo "creating database $db"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -c "CREATE DATABASE \"$db\" OWNER \"$POSTGRES_USER\""
done
