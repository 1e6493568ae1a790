"""Online features from the nightly's own SQL: dbt compiles the warehouse models that a
feature mart (``marts.lead_features``, ``marts.opportunity_features``) is built from, once,
and every request runs that compiled SQL on an in-memory DuckDB (one per worker thread,
kept open) holding the raw rows it is given: the request's leads and activities for leads;
for deals, the published deal history beside the request's rows (:mod:`ml.serving.deals`).

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
import re
import subprocess
import tempfile
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
from duckdb.sqltypes import VARCHAR

from ml.contract import LANDING_TABLES, LINEAGE_COLUMNS
from ml.privacy.suppression import KEY_VARIABLE
from ml.serving.request_rows import RequestRows, Rows, raw_schema, raw_table
from ml.settings import Settings
from ml.warehouse.transform import dbt_command, dbt_environment

SENTINEL_DATE = "2999-12-31"
TARGET_MODEL = "lead_features"
_RAW_RELATION = re.compile(r'"serving"\."raw"\."([a-z_]+)"')
_DATABASE = "serving"  # the template file's stem: dbt qualifies every relation with it
PII_KEY_FUNCTION = "salespipe_pii_key"  # replaces getvariable('salespipe_pii_key')


class FeatureSqlError(RuntimeError):
    """dbt could not compile a feature mart's models; the message carries its output."""


@dataclass(frozen=True)
class CompiledModel:
    """One dbt model: its schema, name, materialisation and compiled SQL."""

    schema: str
    name: str
    sql: str


@dataclass(frozen=True)
class FeatureSql:
    """The compiled models a feature mart depends on, in build order, the last being it,
    and the raw tables (with their columns) they read."""

    models: tuple[CompiledModel, ...]
    raw_columns: dict[str, tuple[str, ...]]
    incremental: bool
    key: str = "lead_id"  # the mart's entity key: rows come back ordered by it

    # One in-memory database per worker thread, kept open for this champion: the streams
    # of the request's raw rows and the models prepared as one statement (:meth:`statement`)
    # for the last as-of date it served. A request only sets the rows and executes.
    _local: threading.local = field(
        default_factory=threading.local, init=False, repr=False, compare=False
    )

    @property
    def lead_columns(self) -> tuple[str, ...]:
        return self.raw_columns["leads"]

    @property
    def activity_columns(self) -> tuple[str, ...]:
        return self.raw_columns["activities"]

    @property
    def target(self) -> str:
        return self.models[-1].name

    def build(self, as_of: date, leads: Rows, activities: Rows, pii_key: str) -> pd.DataFrame:
        """The ``lead_features`` rows of ``as_of`` for the given raw rows (all text).

        ``leads`` and ``activities`` hold raw columns (a subset of :attr:`lead_columns`
        and :attr:`activity_columns`, as strings or None), as frames or as columns by
        name; they are delivered as of ``as_of``, the way a night's ingest would have
        delivered them.
        """
        return self.run(as_of, {
            "leads": raw_table(self.lead_columns, leads, as_of),
            "activities": raw_table(self.activity_columns, activities, as_of),
        }, pii_key)  # fmt: skip

    def run(self, as_of: date, tables: dict[str, pa.Table], pii_key: str) -> pd.DataFrame:
        """The target mart's rows of ``as_of`` over ``tables``: every raw table it reads,
        as :func:`ml.serving.request_rows.raw_schema` of its :attr:`raw_columns` (a table
        not given is empty)."""
        con = self._connection(as_of, pii_key)
        feeds: dict[str, RequestRows] = self._local.feeds
        try:
            for table, feed in feeds.items():
                feed.table = tables[table] if table in tables else feed.schema.empty_table()
            return con.execute(f"execute {self._statement_name}").df()
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
        sql = f"select * from (\n{final.sql}\n) where as_of_date = {literal} order by {self.key}"
        if ctes:
            sql = "with " + ",\n".join(ctes) + "\n" + sql
        for model in upstream:
            sql = sql.replace(f'"{_DATABASE}"."{model.schema}"."{model.name}"', f'"{model.name}"')
        for table in self.raw_columns:
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
            feeds = {t: RequestRows(raw_schema(cols)) for t, cols in self.raw_columns.items()}
            for table, feed in feeds.items():
                con.register(f"request_{table}", feed)  # once: a registration changes the catalog
            state.update(con=con, pii_key=pii_key, feeds=feeds)
        if state.get("as_of") != as_of:
            if "as_of" in state:
                con.execute(f"deallocate prepare {self._statement_name}")
            con.execute(f"prepare {self._statement_name} as {self.statement(as_of)}")
            state["as_of"] = as_of
        return con

    @property
    def _statement_name(self) -> str:
        return f"salespipe_{self.target}"


def compile_feature_sql(
    settings: Settings, custom_lead_columns: tuple[str, ...] = (), workdir: Path | None = None
) -> FeatureSql:
    """Compile ``+lead_features`` with dbt against an empty template warehouse.

    ``custom_lead_columns`` are the ``attr_*`` fields the model uses: staging discovers
    custom fields in the raw table, so they must be in it for their features to exist.

    Raises:
        FeatureSqlError: dbt failed; its last lines are in the message.
    """
    return compile_mart_sql(settings, TARGET_MODEL, "lead_id", "history_grid",
                            custom_lead_columns, workdir)  # fmt: skip


def compile_mart_sql(
    settings: Settings,
    target: str,
    key: str,
    full_build_marker: str,
    custom_lead_columns: tuple[str, ...] = (),
    workdir: Path | None = None,
) -> FeatureSql:
    """Compile ``+<target>`` (an incremental mart with one row per ``key`` per
    ``as_of_date``) with dbt against an empty template warehouse holding every raw table
    of the contract; the result reads the raw tables the models name.
    ``full_build_marker`` is text only the mart's full (history) build holds.

    Raises:
        FeatureSqlError: dbt failed (its last lines are in the message), or the compiled
            SQL would be bound again at every request.
    """
    columns = {name: table.columns for name, table in LANDING_TABLES.items()}
    columns["leads"] = (*columns["leads"], *sorted(set(custom_lead_columns)))
    with tempfile.TemporaryDirectory(prefix="salespipe-serve-", dir=workdir) as tmp:
        root = Path(tmp)
        template = root / f"{_DATABASE}.duckdb"
        with duckdb.connect(str(template)) as con:
            for schema in ("raw", "marts"):
                con.execute(f"create schema {schema}")
            for name, cols in columns.items():
                defs = [f'"{c}" varchar' for c in cols]
                defs += [f"{n} {k}" for n, k in LINEAGE_COLUMNS.items()]
                con.execute(f"create table raw.{name} ({', '.join(defs)})")
            # An existing mart makes dbt compile the incremental form: one as-of date.
            con.execute(f"create table marts.{target} (as_of_date date)")
        command = dbt_command(settings, "compile", "--no-use-colors", "--select",
                              f"+{target}", "--vars",
                              json.dumps({"business_date": SENTINEL_DATE}))  # fmt: skip
        # dbt state of its own: the nightly's target/ must not be touched by a service
        command = _retarget(command, root)
        env = dbt_environment(settings)
        env["SALESPIPE_WAREHOUSE_PATH"] = str(template)
        env["SALESPIPE_DBT_THREADS"] = "1"
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
            raise FeatureSqlError(f"dbt compile of +{target} failed:\n{tail}")
        models = _compiled_models(root / "target", target)
    final = models[-1]
    if final.name != target or f"date '{SENTINEL_DATE}'" not in final.sql:
        raise FeatureSqlError(f"dbt's compiled {target} does not take the business date")
    read = {t for m in models for t in _RAW_RELATION.findall(m.sql)}
    compiled = FeatureSql(
        models=models,
        raw_columns={t: cols for t, cols in columns.items() if t in read},
        incremental=full_build_marker not in final.sql,
        key=key,
    )
    statement = compiled.statement(date.fromisoformat(SENTINEL_DATE))
    if "getvariable(" in statement or f'"{_DATABASE}".' in statement:
        raise FeatureSqlError(
            f"the compiled +{target} reads a session variable or a warehouse relation "
            f"other than the raw tables ({', '.join(compiled.raw_columns)}): the service's "
            "prepared statement would be bound again at every request (see FeatureSql.statement)"
        )
    return compiled


def _retarget(command: list[str], root: Path) -> list[str]:
    out = list(command)
    out[out.index("--target-path") + 1] = str(root / "target")
    out[out.index("--log-path") + 1] = str(root / "logs")
    return out


def _compiled_models(target: Path, name: str) -> tuple[CompiledModel, ...]:
    manifest = json.loads((target / "manifest.json").read_text())
    nodes = {
        node_id: node
        for node_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
    }
    final_id = next(i for i, n in nodes.items() if n["name"] == name)
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
