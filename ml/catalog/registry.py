"""Every declared table, by name."""

from __future__ import annotations

from ml.catalog.declare import Table
from ml.catalog.ml_tables import ML_TABLES
from ml.catalog.monitoring_models import MODEL_TABLES
from ml.catalog.monitoring_runs import RUN_TABLES
from ml.catalog.quarantine_tables import QUARANTINE_TABLES
from ml.catalog.serving_tables import SERVING_TABLES

TABLES: dict[str, Table] = {
    t.name: t for t in (*ML_TABLES, *SERVING_TABLES, *RUN_TABLES, *MODEL_TABLES, *QUARANTINE_TABLES)
}


def table_for(name: str) -> Table:
    """The declaration of ``name`` (``schema.table``).

    Raises:
        KeyError: ``name`` is not declared, with the declared names.
    """
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(
            f"{name} is not a declared table; declared: {', '.join(sorted(TABLES))}"
        ) from None
