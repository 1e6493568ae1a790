"""Every DAG loads, has no cycles, and follows the house rules for owners, retries and docs."""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from datetime import date

import pytest

from ml.airflow_cli import logical_date_for
from ml.settings import REPO_ROOT

DAGS_FOLDER = REPO_ROOT / "dags"
DAG_FILES = sorted(p for p in DAGS_FOLDER.glob("*.py") if p.name != "salespipe_assets.py")
# What a DAG file may import at top level: wiring only. Everything else is a local
# import inside a task, so parsing stays cheap for the scheduler.
ALLOWED_TOP_LEVEL_IMPORTS = {
    "__future__",
    "datetime",
    "pendulum",
    "airflow.sdk",
    "salespipe_assets",
}
HEAVY_MODULES = (
    "ml",
    "duckdb",
    "pandas",
    "pyarrow",
    "sklearn",
    "xgboost",
    "torch",
    "lightning",
    "mlflow",
    "evidently",
    "great_expectations",
    "dbt",
)


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    started = time.perf_counter()
    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    bag.parse_seconds = time.perf_counter() - started
    return bag


def test_dags_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert {"nightly_warehouse"} <= set(dagbag.dag_ids)


def test_every_dag_follows_house_rules(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.doc_md and len(dag.doc_md) > 80, f"{dag_id} has no doc_md"
        assert dag.max_active_runs == 1, f"{dag_id} allows overlapping runs"
        for task in dag.tasks:
            assert task.owner not in ("", "airflow"), f"{dag_id}.{task.task_id} has no owner"
            assert task.retries >= 1, f"{dag_id}.{task.task_id} has no retries"


def test_no_cycles(dagbag):
    for dag_id, dag in dagbag.dags.items():
        state: dict[str, str] = {}

        def visit(task_id: str, path: tuple[str, ...], dag=dag, dag_id=dag_id, state=state) -> None:
            assert state.get(task_id) != "open", f"{dag_id} has a cycle: {path + (task_id,)}"
            if state.get(task_id) == "done":
                return
            state[task_id] = "open"
            for child in dag.get_task(task_id).downstream_task_ids:
                visit(child, path + (task_id,))
            state[task_id] = "done"

        for task_id in dag.task_ids:
            visit(task_id, ())


def test_dag_folder_parses_quickly(dagbag):
    # A guard against heavy work at parse time, not a performance target.
    assert dagbag.parse_seconds < 20


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_dag_files_import_only_wiring_at_top_level(dag_file):
    tree = ast.parse(dag_file.read_text())
    for node in tree.body:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        for name in names:
            assert name in ALLOWED_TOP_LEVEL_IMPORTS, f"{dag_file.name} imports {name} at top level"


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_parsing_a_dag_file_loads_no_heavy_module(dag_file):
    probe = (
        "import runpy, sys; sys.path.insert(0, sys.argv[1]); runpy.run_path(sys.argv[2]);"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY_MODULES!r});"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(DAGS_FOLDER), str(dag_file)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1:] in ([], [""]), result.stdout


def test_nightly_run_interval_is_the_business_date(dagbag):
    import pendulum
    from airflow.timetables.interval import CronDataIntervalTimetable

    # The SDK timetable is a declaration; the scheduler's own class does the arithmetic.
    declared = dagbag.dags["nightly_warehouse"].timetable
    timetable = CronDataIntervalTimetable(declared.expression, declared.timezone)
    run_after = pendulum.parse(logical_date_for(date(2024, 3, 5)))
    interval = timetable.infer_manual_data_interval(run_after=run_after)

    assert interval.start == pendulum.datetime(2024, 3, 5, tz="UTC")
    assert interval.end == pendulum.datetime(2024, 3, 6, tz="UTC")


def test_marts_are_announced_as_assets(dagbag):
    dag = dagbag.dags["nightly_warehouse"]
    outlets = {asset.uri for asset in dag.get_task("build_warehouse").outlets}
    assert "duckdb://warehouse/marts/lead_features" in outlets
    assert "duckdb://warehouse/marts/daily_revenue" in outlets


def test_the_shared_names_module_imports_nothing():
    # DAG files load ml/names.py at parse time (dags/salespipe_assets.py): constants only.
    tree = ast.parse((REPO_ROOT / "ml" / "names.py").read_text())
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert imports == []


def test_every_task_shares_the_warehouse_pool_and_the_business_date_params(dagbag):
    from ml.names import WAREHOUSE_POOL

    for dag_id, dag in dagbag.dags.items():
        assert "business_date" in dag.params, f"{dag_id} takes no business_date param"
        for task in dag.tasks:
            assert task.pool == WAREHOUSE_POOL, f"{dag_id}.{task.task_id} is not in the pool"
