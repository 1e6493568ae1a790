"""The ten packages of the design install together; the traps found on this machine stay handled."""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import os
import re
import subprocess
import sys

import pytest

from ml.settings import REPO_ROOT

# (import name, distribution, required version prefix)
STACK = [
    ("airflow", "apache-airflow", "3."),
    ("dbt.version", "dbt-core", "1.11."),
    ("dbt.adapters.duckdb", "dbt-duckdb", "1.11."),
    ("duckdb", "duckdb", ""),
    ("mlflow", "mlflow", "3."),
    ("sklearn", "scikit-learn", "1."),
    ("xgboost", "xgboost-cpu", "3."),
    ("lightning", "lightning", "2."),
    ("great_expectations", "great-expectations", "1."),
    ("evidently", "evidently", "0.7."),
]


@pytest.mark.parametrize(("module", "distribution", "prefix"), STACK, ids=[s[1] for s in STACK])
def test_each_package_of_the_stack_imports(module, distribution, prefix):
    importlib.import_module(module)
    assert metadata.version(distribution).startswith(prefix)


def test_torch_is_the_cpu_build_pinned_for_this_machine():
    assert metadata.version("torch") == "2.13.0+cpu"
    installed = {d.metadata["Name"].lower() for d in metadata.distributions()}
    assert not {n for n in installed if n.startswith(("nvidia-", "triton"))}


def test_dbt_core_stays_below_the_release_that_needs_an_online_build():
    # dbt-core 1.12 needs dbt-core-experimental-parser, whose build downloads a binary.
    major, minor = map(int, metadata.version("dbt-core").split(".")[:2])
    assert (major, minor) < (1, 12)
    with pytest.raises(metadata.PackageNotFoundError):
        metadata.version("dbt-core-experimental-parser")


def test_pandas_stays_below_3_so_evidently_imports():
    # evidently 0.7.23 fails to import under pandas 3 (infer_dtype_from_object).
    assert int(metadata.version("pandas").split(".")[0]) < 3
    from evidently import Report  # noqa: F401
    from evidently.presets import DataDriftPreset  # noqa: F401


def test_lock_pins_every_package_exactly():
    lines = [
        line.strip()
        for line in (REPO_ROOT / "requirements.lock").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines, "requirements.lock is empty"
    unpinned = [line for line in lines if not re.match(r"^[A-Za-z0-9_.\-\[\]]+==\S+$", line)]
    assert unpinned == []
    assert "torch==2.13.0+cpu" in lines


def test_duckdb_is_used_only_through_execute_results():
    # DuckDB 2.0 removed Relation.fetchone()/fetchmany(); ml/ reads results through
    # con.execute(...), which still has them, and never through con.sql(...) relations.
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for path in (REPO_ROOT / "ml").rglob("*.py")
        if re.search(r"\.sql\([^)]*\)\s*\.fetch(one|many)", path.read_text())
    ]
    assert offenders == []
    import duckdb

    with duckdb.connect() as con:
        assert con.execute("select 42").fetchone() == (42,)


def test_importing_ml_switches_telemetry_off_before_evidently_loads():
    env = {
        k: v for k, v in os.environ.items() if k not in ("DO_NOT_TRACK", "MLFLOW_DISABLE_TELEMETRY")
    }
    probe = (
        "import os, ml, evidently; "
        "print(os.environ['DO_NOT_TRACK'], os.environ['MLFLOW_DISABLE_TELEMETRY'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["1", "true"]
