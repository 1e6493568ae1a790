"""The monitor step: ``monitor_deal_model``, the deal champion's drift and realised
performance for one business date, after tonight's scores are written.

Reads tonight's scores and open deals and the champion's reference sample, calls the pure
:mod:`ml.opportunity_scoring.monitor` (the shared :mod:`ml.monitoring` underneath) and
writes the ``monitoring.*`` rows through the catalog.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from ml import names
from ml.monitoring.config import drift_config
from ml.monitoring.tables import last_retraining_requested, write_night
from ml.opportunity_scoring.config import opportunity_scoring_config
from ml.opportunity_scoring.features import model_inputs
from ml.opportunity_scoring.monitor import assess_night, performance_history, run_row
from ml.opportunity_scoring.steps.data import read_open_deals, read_outcomes
from ml.opportunity_scoring.steps.score import SCORES
from ml.registry.aliases import alias_version
from ml.registry.lifecycle import champion_for
from ml.registry.tracking import CHAMPION, configure_mlflow
from ml.settings import Settings, load_settings

log = logging.getLogger(__name__)

MODEL_NAME = names.OPPORTUNITY_SCORING


@dataclass(frozen=True)
class MonitoringOutcome:
    retrain: bool
    summary: str
    report: Path | None


def monitor_deal_model(business_date: date, settings: Settings | None = None) -> MonitoringOutcome:
    """Measure the deal champion's drift and realised performance for ``business_date``
    (after tonight's scores are written) into ``monitoring.drift``, ``drift_runs`` and
    ``model_performance``, with the HTML report; returns whether a retraining is asked
    for, a summary and the report. Drift never blocks scoring."""
    from ml.monitoring import save_drift_report
    from ml.opportunity_scoring.steps.score import load_deal_model

    settings = settings or load_settings()
    config = opportunity_scoring_config(settings)
    if not config.enabled:
        return MonitoringOutcome(False, "deal scoring switched off: nothing to monitor", None)
    drift = drift_config(settings)
    configure_mlflow(settings)
    import mlflow

    client = mlflow.MlflowClient()
    champion = champion_for(client, MODEL_NAME, business_date,
                            alias_version(client, MODEL_NAME, CHAMPION))  # fmt: skip
    with duckdb.connect(str(settings.work_warehouse)) as con:
        scores = con.execute(
            f"select opportunity_id, score_date, win_probability, model_version from {SCORES} "
            "where model_name = ?", [MODEL_NAME],
        ).df()  # fmt: skip
        outcomes = read_outcomes(con)
        deals = read_open_deals(con, business_date)
        last = last_retraining_requested(con, MODEL_NAME, business_date)
    performance = performance_history(
        scores, outcomes, business_date, config.maturity_days, MODEL_NAME
    )
    run = {"run_date": business_date, "model_name": MODEL_NAME, "model_version": champion}
    drift_rows, night, report = pd.DataFrame(columns=["feature"]), None, None
    version = client.get_model_version(MODEL_NAME, champion) if champion else None
    if version is None or not version.tags.get("reference_uri"):
        run["note"] = "no champion yet (stage win rates): nothing to compare"
    else:
        reference = pd.read_parquet(
            mlflow.artifacts.download_artifacts(version.tags["reference_uri"])
        )
        model = load_deal_model(f"models:/{MODEL_NAME}/{champion}")
        tonight = scores.loc[pd.to_datetime(scores["score_date"]).dt.date == business_date,
                             "win_probability"]  # fmt: skip
        promotion = float(version.tags["holdout_auc"]) if version.tags.get("holdout_auc") else None
        night = assess_night(
            reference, model_inputs(deals, model.spec), tonight, features=model.spec.columns,
            numeric=model.spec.numeric, performance=performance, promotion=promotion,
            last_retrained=last, business_date=business_date, config=drift,
        )  # fmt: skip
        drift_rows = night.drift_rows
        report = save_drift_report(
            settings.reports / "drift", business_date, MODEL_NAME, [night.data, night.prediction],
            model_version=champion, summary=night.decision.summary,
        )  # fmt: skip
        run.update(run_row(night, promotion, report, drift))
    drift_rows = drift_rows.assign(run_date=business_date, model_name=MODEL_NAME,
                                   model_version=champion)  # fmt: skip
    with duckdb.connect(str(settings.work_warehouse)) as con:
        write_night(con, run_date=business_date, model_name=MODEL_NAME, drift=drift_rows,
                    run=run, performance=performance)  # fmt: skip
    summary = night.decision.summary if night else str(run["note"])
    log.info("deal model monitoring %s: %s", business_date, summary)
    return MonitoringOutcome(bool(night and night.decision.retrain), summary, report)
