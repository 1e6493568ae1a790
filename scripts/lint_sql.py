"""Run sqlfluff (dbt templater, DuckDB dialect) on the dbt project, as pre-commit does.

The dbt models ask the warehouse which raw columns exist while they compile, so the
templater needs a warehouse with the raw layer in it: this builds a throwaway one with
the empty raw tables of the contract (``ml.warehouse.ingest.ensure_raw_schema``), points
the dbt profile at it, and runs ``sqlfluff lint`` (or ``fix``) with the arguments given.

    .venv/bin/python scripts/lint_sql.py                  # lint every model
    .venv/bin/python scripts/lint_sql.py fix models/x.sql # paths relative to dbt_project/

Exits with sqlfluff's own exit code.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

# `python scripts/lint_sql.py` (pre-commit's entry) puts scripts/, not the checkout, on the
# path: the ml package is imported from the checkout this script sits in.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ml.warehouse.ingest import ensure_raw_schema  # noqa: E402

DBT_PROJECT = Path(__file__).resolve().parent.parent / "dbt_project"


def main(argv: list[str]) -> int:
    command = argv[0] if argv and argv[0] in {"lint", "fix", "format"} else "lint"
    paths = (argv[1:] if argv[:1] == [command] else argv) or ["models"]
    # pre-commit passes paths from the repository root; sqlfluff runs in dbt_project/
    paths = [_in_project(p) for p in paths]
    sqlfluff = Path(sys.executable).with_name("sqlfluff")
    with tempfile.TemporaryDirectory(prefix="salespipe-sqlfluff-") as folder:
        warehouse = Path(folder) / "lint.duckdb"
        with duckdb.connect(str(warehouse)) as con:
            ensure_raw_schema(con)
        env = {
            **os.environ,
            "SALESPIPE_WAREHOUSE_PATH": str(warehouse),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
        }
        return subprocess.run(
            [str(sqlfluff), command, *paths], cwd=DBT_PROJECT, env=env, check=False
        ).returncode


def _in_project(path: str) -> str:
    """``path`` relative to dbt_project/ if it names a file there, else as given."""
    found = Path(path).resolve()
    return str(found.relative_to(DBT_PROJECT)) if found.is_relative_to(DBT_PROJECT) else path


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
