"""Airflow must see its home before it is first imported, or it creates ~/airflow."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

from ml.settings import REPO_ROOT

_AIRFLOW_HOME = tempfile.mkdtemp(prefix="salespipe-dagtest-airflow-")
atexit.register(shutil.rmtree, _AIRFLOW_HOME, ignore_errors=True)
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO_ROOT / "dags")
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME}/airflow.db"

# Airflow's DAG bundle puts the dags folder on sys.path, so DAG files can share
# salespipe_assets.py; the bare DagBag used in tests does not, so do it here.
sys.path.append(str(REPO_ROOT / "dags"))
