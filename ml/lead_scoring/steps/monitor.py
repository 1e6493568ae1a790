"""The monitor step: the champion's data drift, prediction drift and realised
performance for one business date, after tonight's scores are written.

Reads tonight's scores and inputs and the champion's reference sample, calls the pure
:mod:`ml.lead_scoring.monitor` (which uses the :mod:`ml.monitoring` library) and writes
the ``monitoring.*`` rows through the catalog.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from ml import names
from ml.lead_scoring.config import lead_scoring_config
from ml.lead_scoring.features import model_inputs
from ml.lead_scoring.monitor import assess_night, performance_history, promotion_auc, run_row
from ml.lead_scoring.steps.score import load_lead_model, read_open_leads
from ml.monitoring import save_drift_report
from ml.monitoring.config import drift_config
from ml.monitoring.tables import last_retraining_requested, write_night
from ml.registry.aliases import alias_version
from ml.registry.lifecycle import champion_for
from ml.registry.tracking import CHAMPION, configure_mlflow
from ml.settings import Settings, load_settings

log = logging.getLogger(__name__)

MODEL_NAME = names.LEAD_SCORING


@dataclass(frozen=True)
class MonitoringOutcome:
    retrain: bool
    summary: str
    report: Path | None


def monitor_lead_model(business_date: date, settings: Settings | None = None) -> MonitoringOutcome:
    """Measure the champion's drift and realised performance for ``business_date``.

    After tonight's scores are written: compares tonight's model inputs and scores with
    the champion's own reference sample (stored with its version at training), computes
    the realised performance of past scores whose labels have matured, writes
    ``monitoring.drift`` / ``drift_runs`` / ``model_performance``, saves the HTML report
    (also logged to the champion's MLflow run) and decides whether to ask for retraining.
    Drift never blocks scoring. Returns whether retraining is requested (the DAG then
    emits the retraining Asset), a one-line summary and the HTML report's path.
    """
    settings = settings or load_settings()
    if not lead_scoring_config(settings).enabled:
        return MonitoringOutcome(False, "lead scoring switched off: nothing to monitor", None)
    config, window = drift_config(settings), lead_scoring_config(settings).label_window_days
    configure_mlflow(settings)
    import mlflow

    client = mlflow.MlflowClient()
    # the model that scored this date: the champion as of it (a backfill behind the live one)
    champion = champion_for(
        client, MODEL_NAME, business_date, alias_version(client, MODEL_NAME, CHAMPION)
    )
    with duckdb.connect(str(settings.work_warehouse)) as con:
        scores = con.execute(
            "select lead_id, score_date, conversion_probability, model_version "
            "from ml.lead_scores where model_name = ?",
            [MODEL_NAME],
        ).df()
        outcomes = con.execute(
            "select lead_id, created_at, converted_at from marts.lead_outcomes"
        ).df()
        leads = read_open_leads(con, business_date) if champion else None
    performance = performance_history(scores, outcomes, window, business_date, MODEL_NAME)
    run = {"run_date": business_date, "model_name": MODEL_NAME, "model_version": champion}
    drift_rows, night, report = pd.DataFrame(columns=["feature"]), None, None
    version = client.get_model_version(MODEL_NAME, champion) if champion else None
    reference_uri = version.tags.get("reference_uri") if version else None
    if version is None:
        run["note"] = "no champion yet (prior scores): nothing to compare"
    elif not reference_uri:
        run["note"] = f"champion v{champion} has no reference sample; retrain to monitor it"
    else:
        reference = pd.read_parquet(mlflow.artifacts.download_artifacts(reference_uri))
        model = load_lead_model(f"models:/{MODEL_NAME}/{champion}")
        tonight = scores.loc[
            pd.to_datetime(scores["score_date"]).dt.date == business_date,
            "conversion_probability",
        ]
        with duckdb.connect(str(settings.work_warehouse)) as con:
            last = last_retraining_requested(con, MODEL_NAME, business_date)
        promotion = promotion_auc(version.tags)
        night = assess_night(
            reference, model_inputs(leads, model.spec), tonight,
            features=model.spec.columns, numeric=model.spec.numeric, performance=performance,
            promotion=promotion, last_retrained=last, business_date=business_date,
            config=config,
        )  # fmt: skip
        drift_rows = night.drift_rows
        report = save_drift_report(
            settings.reports / "drift", business_date, MODEL_NAME,
            [night.data, night.prediction], model_version=champion, summary=night.summary,
        )  # fmt: skip
        client.log_artifact(version.run_id, str(report), "drift_reports")
        run.update(run_row(night, promotion, report, config))
    drift_rows = drift_rows.assign(
        run_date=business_date, model_name=MODEL_NAME, model_version=champion
    )
    with duckdb.connect(str(settings.work_warehouse)) as con:
        write_night(con, run_date=business_date, model_name=MODEL_NAME, drift=drift_rows,
                    run=run, performance=performance)  # fmt: skip
    summary = night.decision.summary if night else str(run["note"])
    log.info("lead model monitoring %s: %s (report: %s)", business_date, summary, report)
    return MonitoringOutcome(bool(night and night.decision.retrain), summary, report)
