"""dbt sources for the tables ml/ writes: ``source('ml', ...)`` and
``source('monitoring', ...)``, so that BI marts can build on them.

The file ``dbt_project/models/staging/_ml__sources.yml`` is generated from the
declarations (a test keeps it in step); regenerate it with::

    python -m ml.catalog.dbt_sources > dbt_project/models/staging/_ml__sources.yml

Sources carry descriptions only, no data tests and no freshness: a night writes these
tables after dbt has built the marts, so on a fresh install they do not exist yet, and
``dbt parse`` / ``dbt build`` must not depend on them.
"""

from __future__ import annotations

import yaml

from ml.catalog.registry import TABLES

SCHEMAS = {
    "ml": "What the models write for BI (CONTRACT.md section 3): lead scores, deal scores and "
    "revenue forecasts, declared in ml/catalog, written by its one writer after the nightly dbt "
    "build. On a fresh install they do not exist until the first night has run.",
    "monitoring": "What the nightly runs record: run counts and stages, drift, realised "
    "performance, alias moves, the audit log and erasures; declared in ml/catalog.",
}

# Declared for the writer's sake, but kept in a file of their own, not the warehouse dbt
# builds: the scoring API's inputs (the nightly holds the warehouse for minutes).
OUTSIDE_THE_WAREHOUSE = frozenset({"monitoring.online_lead_inputs"})

_HEADER = (
    "# Generated from ml/catalog (python -m ml.catalog.dbt_sources): do not edit by hand.\n"
    "# Tables ml/ writes after dbt builds the marts; BI marts may select from them with\n"
    "# source('ml', ...) / source('monitoring', ...). No tests here: they may not exist yet.\n"
)


def sources() -> dict:
    """The sources document: one source per schema, every table and column described."""
    document: dict = {"version": 2, "sources": []}
    for schema, description in SCHEMAS.items():
        tables = [
            t for t in TABLES.values() if t.schema == schema and t.name not in OUTSIDE_THE_WAREHOUSE
        ]
        document["sources"].append(
            {
                "name": schema,
                "description": description,
                "schema": schema,
                "tables": [
                    {
                        "name": t.table,
                        "description": t.description,
                        "config": {"meta": {"grain": list(t.grain),
                                            "partition_by": list(t.partition_by),
                                            "suite": t.suite}},
                        "columns": [
                            {"name": c.name, "data_type": c.type, "description": c.description}
                            for c in t.columns
                        ],
                    }
                    for t in sorted(tables, key=lambda t: t.table)
                ],
            }
        )  # fmt: skip
    return document


def sources_yml() -> str:
    """The text of ``_ml__sources.yml``."""
    body = yaml.safe_dump(sources(), sort_keys=False, width=88, allow_unicode=True)
    return _HEADER + body


if __name__ == "__main__":
    print(sources_yml(), end="")
