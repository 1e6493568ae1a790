"""The scoring API's work that runs outside a request, as the CLI (or a DAG) calls it: the
drift of the inputs it saw.

:func:`monitor_online_inputs` reads one date's ``monitoring.online_lead_inputs`` (the
service's own file), the reference sample of the version that scored them, compares them
with :mod:`ml.serving.drift`, and replaces the date's rows of ``monitoring.online_drift``
in the working warehouse through the catalog, beside the nightly ``monitoring.drift``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from ml.catalog import table_for, write_partition
from ml.monitoring.config import drift_config
from ml.names import LEAD_SCORING as MODEL_NAME
from ml.registry.tracking import configure_mlflow
from ml.serving.drift import not_compared, online_drift_rows
from ml.serving.online_log import online_inputs_file, read_online_inputs
from ml.settings import Settings, load_settings

log = logging.getLogger(__name__)
TABLE = "monitoring.online_drift"


@dataclass(frozen=True)
class OnlineDrift:
    """What one comparison found: the rows written and a one-line summary."""

    rows: pd.DataFrame
    summary: str


def monitor_online_inputs(business_date: date, settings: Settings | None = None) -> OnlineDrift:
    """Compare the inputs scored online for ``business_date`` with the training reference of
    the version that scored most of them; replace the date's ``monitoring.online_drift``
    rows (none when nothing was scored online that date).

    Raises:
        ml.catalog.CatalogWriteError: the rows do not fit the table (a bug, not bad data).
    """
    settings = settings or load_settings()
    online = read_online_inputs(online_inputs_file(settings.home), business_date)
    table = table_for(TABLE)
    rows = pd.DataFrame(columns=table.column_names)
    summary = f"no lead was scored online for {business_date.isoformat()}"
    if len(online):
        counts = online["model_version"].astype(str).value_counts()
        version = str(sorted(counts.index, key=lambda v: (-counts[v], v))[0])
        rows = _compare(settings, online, version)
        rows = rows.assign(run_date=business_date, model_name=MODEL_NAME, model_version=version)
        compared = rows[rows["kind"] != ""]
        summary = (
            f"{int(rows['online_rows'].iloc[0])} lead(s) scored online by v{version}: "
            f"{int(compared['drifted'].sum())} of {len(compared)} compared columns drifted"
        )
    with duckdb.connect(str(settings.work_warehouse)) as con:
        write_partition(con, TABLE, rows, {"run_date": business_date, "model_name": MODEL_NAME})
    log.info("online input drift %s: %s", business_date, summary)
    return OnlineDrift(rows, summary)


def _compare(settings: Settings, online: pd.DataFrame, version: str) -> pd.DataFrame:
    import mlflow

    from ml.lead_scoring.steps.score import load_lead_model

    configure_mlflow(settings)
    model = load_lead_model(f"models:/{MODEL_NAME}/{version}")
    features, numeric = model.spec.columns, model.spec.numeric
    reference_uri = (
        mlflow.MlflowClient().get_model_version(MODEL_NAME, version).tags.get("reference_uri")
    )
    if not reference_uri:
        scored = online.loc[online["model_version"] == version, "lead_id"].nunique()
        return not_compared(features, scored, f"v{version} has no reference sample")
    reference = pd.read_parquet(mlflow.artifacts.download_artifacts(reference_uri))
    return online_drift_rows(
        reference, online, model_version=version, features=features, numeric=numeric,
        config=drift_config(settings),
    )  # fmt: skip
