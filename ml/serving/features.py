"""Online lead features from the nightly's own SQL: dbt compiles the warehouse models that
``marts.lead_features`` is built from, once, and every request runs that compiled SQL on
an in-memory DuckDB (one per worker thread, kept open) holding only the request's leads
and activities.

Nothing here restates a feature. The SQL is dbt's output for the project's models
(staging -> intermediate -> ``lead_features``), with the same vars the nightly passes;
only the business date differs. It is compiled with a sentinel date
(:data:`SENTINEL_DATE`) that each request replaces by its ``as_of`` date, the only place
the date appears in the SQL (``macros/business_date.sql`` renders it as
``date 'YYYY-MM-DD'``). The mart is compiled in its incremental form (one as-of date), as
every night after the first runs it; the first night's full build gives the same rows
for the business date, which ``tests/serving/test_scoring_api.py`` proves against the batch.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
from duckdb.sqltypes import VARCHAR

from ml.contract import LANDING_TABLES, LINEAGE_COLUMNS
from ml.privacy.suppression import KEY_VARIABLE
from ml.serving.request_rows import RequestRows, Rows, raw_schema, raw_table
from ml.settings import Settings
from ml.warehouse.transform import dbt_command, dbt_environment

SENTINEL_DATE = "2999-12-31"
TARGET_MODEL = "lead_features"
RAW_TABLES = ("leads", "activities")
_DATABASE = "serving"  # the template file's stem: dbt qualifies every relation with it
PII_KEY_FUNCTION = "salespipe_pii_key"  # replaces getvariable('salespipe_pii_key')


class FeatureSqlError(RuntimeError):
    """dbt could not compile the lead-feature models; the message carries its output."""


@dataclass(frozen=True)
class CompiledModel:
    """One dbt model: its schema, name, materialisation and compiled SQL."""

    schema: str
    name: str
    sql: str


@dataclass(frozen=True)
class FeatureSql:
    """The compiled models ``lead_features`` depends on, in build order, the last being it."""

    models: tuple[CompiledModel, ...]
    lead_columns: tuple[str, ...]
    activity_columns: tuple[str, ...]
    incremental: bool

    # One in-memory database per worker thread, kept open for this champion: the streams
    # of the request's raw rows and the models prepared as one statement (:meth:`statement`)
    # for the last as-of date it served. A request only sets the rows and executes.
    _local: threading.local = field(
        default_factory=threading.local, init=False, repr=False, compare=False
    )

    def build(self, as_of: date, leads: Rows, activities: Rows, pii_key: str) -> pd.DataFrame:
        """The ``lead_features`` rows of ``as_of`` for the given raw rows (all text).

        ``leads`` and ``activities`` hold raw columns (a subset of :attr:`lead_columns`
        and :attr:`activity_columns`, as strings or None), as frames or as columns by
        name; they are delivered as of ``as_of``, the way a night's ingest would have
        delivered them.
        """
        con = self._connection(as_of, pii_key)
        feeds: dict[str, RequestRows] = self._local.feeds
        try:
            feeds["leads"].table = raw_table(self.lead_columns, leads, as_of)
            feeds["activities"].table = raw_table(self.activity_columns, activities, as_of)
            return con.execute("execute salespipe_lead_features").df()
        except BaseException:
            self._local.__dict__.clear()  # a half-done request: start the next one afresh
            con.close()
            raise
        finally:
            for feed in feeds.values():
                feed.clear()  # the request's rows are not kept past it

    def statement(self, as_of: date) -> str:
        """One query for ``as_of``: every upstream model a CTE named as the model, which its
        dependants read under that name instead of the warehouse relation, and the raw
        tables read from the request's rows (:class:`RequestRows`, registered as
        ``request_<table>``).

        Why no table and no variable: DuckDB 2.0 binds and optimises a prepared statement
        again at every execution when it scans a table (1.4.4 does not) or calls
        ``getvariable``, which was about 80% of a one-lead request. A statement over
        registered Arrow streams and a Python function for the personal-data key is planned
        once; each execution reads the streams afresh.
        """
        literal = f"date '{as_of.isoformat()}'"
        *upstream, final = self.models
        ctes = []
        for model in upstream:
            ctes.append(f'"{model.name}" as (\n{model.sql}\n)')
        sql = f"select * from (\n{final.sql}\n) where as_of_date = {literal} order by lead_id"
        if ctes:
            sql = "with " + ",\n".join(ctes) + "\n" + sql
        for model in upstream:
            sql = sql.replace(f'"{_DATABASE}"."{model.schema}"."{model.name}"', f'"{model.name}"')
        for table in RAW_TABLES:
            sql = sql.replace(f'"{_DATABASE}"."raw"."{table}"', f'"request_{table}"')
        sql = sql.replace(f"getvariable('{KEY_VARIABLE}')", f"{PII_KEY_FUNCTION}()")
        return sql.replace(f"date '{SENTINEL_DATE}'", literal)

    def _connection(self, as_of: date, pii_key: str) -> duckdb.DuckDBPyConnection:
        """This thread's database, its statement prepared for ``as_of`` (made on first use)."""
        state = self._local.__dict__
        con = state.get("con")
        if con is None or state.get("pii_key") != pii_key:
            if con is not None:
                con.close()
            state.clear()
            con = duckdb.connect(config={"threads": 1})  # a request is a few rows
            con.execute(f"attach ':memory:' as {_DATABASE}")
            con.execute(f"use {_DATABASE}")
            # The key as a function, not the session variable the nightly sets: a statement
            # that reads a variable is bound again at every execution. A Python function
            # keeps the key out of the SQL text, as the variable does.
            con.create_function(PII_KEY_FUNCTION, lambda: pii_key, [], VARCHAR)
            feeds = {
                "leads": RequestRows(raw_schema(self.lead_columns)),
                "activities": RequestRows(raw_schema(self.activity_columns)),
            }
            for table, feed in feeds.items():
                con.register(f"request_{table}", feed)  # once: a registration changes the catalog
            state.update(con=con, pii_key=pii_key, feeds=feeds)
        if state.get("as_of") != as_of:
            if "as_of" in state:
                con.execute("deallocate prepare salespipe_lead_features")
            con.execute(f"prepare salespipe_lead_features as {self.statement(as_of)}")
            state["as_of"] = as_of
        return con


def compile_feature_sql(
    settings: Settings, custom_lead_columns: tuple[str, ...] = (), workdir: Path | None = None
) -> FeatureSql:
    """Compile ``+lead_features`` with dbt against an empty template warehouse.

    ``custom_lead_columns`` are the ``attr_*`` fields the model uses: staging discovers
    custom fields in the raw table, so they must be in it for their features to exist.

    Raises:
        FeatureSqlError: dbt failed; its last lines are in the message.
    """
    lead_columns = (*LANDING_TABLES["leads"].columns, *sorted(set(custom_lead_columns)))
    activity_columns = LANDING_TABLES["activities"].columns
    with tempfile.TemporaryDirectory(prefix="salespipe-serve-", dir=workdir) as tmp:
        root = Path(tmp)
        template = root / f"{_DATABASE}.duckdb"
        with duckdb.connect(str(template)) as con:
            for schema in ("raw", "marts"):
                con.execute(f"create schema {schema}")
            for name, columns in (("leads", lead_columns), ("activities", activity_columns)):
                defs = [f'"{c}" varchar' for c in columns]
                defs += [f"{n} {k}" for n, k in LINEAGE_COLUMNS.items()]
                con.execute(f"create table raw.{name} ({', '.join(defs)})")
            # An existing mart makes dbt compile the incremental form: one as-of date.
            con.execute(f"create table marts.{TARGET_MODEL} (as_of_date date)")
        command = dbt_command(settings, "compile", "--no-use-colors", "--select",
                              f"+{TARGET_MODEL}", "--vars",
                              json.dumps({"business_date": SENTINEL_DATE}))  # fmt: skip
        # dbt state of its own: the nightly's target/ must not be touched by a service
        command = _retarget(command, root)
        env = dbt_environment(settings)
        env["SALESPIPE_WAREHOUSE_PATH"] = str(template)
        env["SALESPIPE_DBT_THREADS"] = "1"
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
            raise FeatureSqlError(f"dbt compile of +{TARGET_MODEL} failed:\n{tail}")
        models = _compiled_models(root / "target")
    final = models[-1]
    if final.name != TARGET_MODEL or f"date '{SENTINEL_DATE}'" not in final.sql:
        raise FeatureSqlError(f"dbt's compiled {TARGET_MODEL} does not take the business date")
    compiled = FeatureSql(
        models=models,
        lead_columns=lead_columns,
        activity_columns=activity_columns,
        incremental="history_grid" not in final.sql,
    )
    statement = compiled.statement(date.fromisoformat(SENTINEL_DATE))
    if "getvariable(" in statement or f'"{_DATABASE}".' in statement:
        raise FeatureSqlError(
            f"the compiled +{TARGET_MODEL} reads a session variable or a warehouse relation "
            "other than raw.leads and raw.activities: the service's prepared statement would "
            "be bound again at every request (see FeatureSql.statement)"
        )
    return compiled


def _retarget(command: list[str], root: Path) -> list[str]:
    out = list(command)
    out[out.index("--target-path") + 1] = str(root / "target")
    out[out.index("--log-path") + 1] = str(root / "logs")
    return out


def _compiled_models(target: Path) -> tuple[CompiledModel, ...]:
    manifest = json.loads((target / "manifest.json").read_text())
    nodes = {
        node_id: node
        for node_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
    }
    final_id = next(i for i, n in nodes.items() if n["name"] == TARGET_MODEL)
    needed: dict[str, set[str]] = defaultdict(set)
    stack = [final_id]
    while stack:
        node_id = stack.pop()
        if node_id in needed and node_id != final_id:
            continue
        parents = {p for p in nodes[node_id]["depends_on"]["nodes"] if p in nodes}
        needed[node_id] = parents
        stack.extend(parents - set(needed))
    order: list[str] = []
    while len(order) < len(needed):
        ready = sorted(i for i, ps in needed.items() if i not in order and ps <= set(order))
        order.extend(ready)
    out = []
    for node_id in order:
        node = nodes[node_id]
        path = target / "compiled" / node["package_name"] / node["original_file_path"]
        out.append(CompiledModel(node["schema"], node["name"], path.read_text()))
    return tuple(out)
