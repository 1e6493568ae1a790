"""Shared test setup: every test gets its own SALESPIPE_HOME and no telemetry leaves."""

from __future__ import annotations

import os

# Set before anything imports evidently, mlflow or dbt.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
