# The one image every service of docker-compose.yml runs: Airflow's components, the
# Celery workers and the MLflow tracking server. It installs exactly requirements.lock,
# the same way dev.py does (uv pip sync, pinned uv, bytecode compiled), then this
# repository, editable, so dags/, dbt_project/, expectations/ and mlflow/ sit beside ml/.
FROM python:3.11-slim-bookworm

# curl for the healthchecks; tini reaps the children of the Airflow components.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl tini \
    && rm -rf /var/lib/apt/lists/*

ARG UV_VERSION=0.13.8
# torch's CPU build (the lock pins torch==2.13.0+cpu). Override with a mirror if needed.
ARG EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DO_NOT_TRACK=1 \
    MLFLOW_DISABLE_TELEMETRY=true \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false

WORKDIR /opt/salespipe/app
COPY requirements.lock pyproject.toml ./
RUN python -m venv /opt/venv \
    && pip install --no-cache-dir "uv==${UV_VERSION}" \
    && uv pip sync requirements.lock --python /opt/venv/bin/python --compile-bytecode \
         --extra-index-url "${EXTRA_INDEX_URL}" --index-strategy unsafe-best-match \
    && rm -rf /root/.cache

COPY README.md ./
COPY ml ./ml
COPY dags ./dags
COPY dbt_project ./dbt_project
COPY expectations ./expectations
COPY mlflow ./mlflow
COPY deploy ./deploy
RUN uv pip install --no-deps --editable . --python /opt/venv/bin/python

# Not root. The folders exist in the image so fresh named volumes take this owner.
RUN useradd --uid 50000 --gid 0 --home-dir /home/salespipe --create-home salespipe \
    && mkdir -p /opt/salespipe/home/warehouse /opt/salespipe/landing /opt/airflow/logs /mlflow/artifacts \
    && chown -R 50000:0 /opt/salespipe/home /opt/salespipe/landing /opt/airflow /mlflow \
    && chmod -R g+rwX /opt/salespipe/home /opt/salespipe/landing /opt/airflow /mlflow
USER 50000

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["salespipe", "info"]
