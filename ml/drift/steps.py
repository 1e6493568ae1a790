"""The nightly monitoring of the lead-scoring champion, as the DAG calls it.

After tonight's scores are written: compare tonight's model inputs and scores with the
champion's own reference sample (stored with its version at training), compute the
realised performance of past scores whose labels have matured, write
``monitoring.drift`` / ``drift_runs`` / ``model_performance``, save the HTML report
(also logged to the champion's MLflow run), and decide whether to ask for retraining.
Drift never blocks scoring: the scores are already written when this runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from ml import names
from ml.drift import (
    PREDICTION,
    decide_retraining,
    measure_data_drift,
    measure_prediction_drift,
    realised_lead_performance,
    save_drift_report,
)
from ml.drift.data_drift import DriftResult
from ml.drift.tables import last_retraining_requested, write_night
from ml.drift.trigger import RetrainDecision
from ml.registry.aliases import alias_version
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

    Returns whether retraining is requested (the DAG then emits the retraining Asset),
    a one-line summary and the HTML report's path.
    """
    from ml.lead_scoring.data import read_open_leads
    from ml.lead_scoring.features import model_inputs
    from ml.lead_scoring.pyfunc import load_lead_model

    settings = settings or load_settings()
    if not settings.lead_scoring().enabled:
        return MonitoringOutcome(False, "lead scoring switched off: nothing to monitor", None)
    config, window = settings.drift(), settings.lead_scoring().label_window_days
    configure_mlflow(settings)
    import mlflow

    client = mlflow.MlflowClient()
    champion = alias_version(client, MODEL_NAME, CHAMPION)
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
    performance = _performance(scores, outcomes, window, business_date)
    run = {"run_date": business_date, "model_name": MODEL_NAME, "model_version": champion}
    drift_rows = pd.DataFrame(columns=["feature"])
    decision, report, version = None, None, None
    if champion is None:
        run["note"] = "no champion yet (prior scores): nothing to compare"
    else:
        version = client.get_model_version(MODEL_NAME, champion)
        reference_uri = version.tags.get("reference_uri")
        if not reference_uri:
            run["note"] = f"champion v{champion} has no reference sample; retrain to monitor it"
        else:
            reference = pd.read_parquet(mlflow.artifacts.download_artifacts(reference_uri))
            model = load_lead_model(f"models:/{MODEL_NAME}/{champion}")
            current = model_inputs(leads, model.spec)
            tonight = scores.loc[
                pd.to_datetime(scores["score_date"]).dt.date == business_date,
                "conversion_probability",
            ]
            data = measure_data_drift(
                reference.drop(columns=PREDICTION), current, model.spec.columns, config,
                numeric=model.spec.numeric,
            )  # fmt: skip
            prediction = measure_prediction_drift(reference[PREDICTION], tonight, config)
            drift_rows = pd.concat([data.rows, prediction.rows], ignore_index=True)
            realised = performance.iloc[-1] if not performance.empty else None
            with duckdb.connect(str(settings.work_warehouse)) as con:
                last = last_retraining_requested(con, MODEL_NAME, business_date)
            decision = decide_retraining(
                share_drifted=data.share_drifted,
                prediction_drifted=prediction.drifted,
                realised_auc=None if realised is None else float(realised["roc_auc"]),
                promotion_auc=_promotion_auc(version.tags),
                last_retrained=last,
                run_date=business_date,
                config=config,
                drifted_features=list(data.rows.loc[data.rows["drifted"], "feature"]),
            )
            report = save_drift_report(
                settings.reports / "drift", business_date, MODEL_NAME, [data, prediction],
                model_version=champion, summary=_report_summary(data, prediction, decision),
            )  # fmt: skip
            client.log_artifact(version.run_id, str(report), "drift_reports")
            run.update(
                features=len(data.rows),
                drifted_features=int(data.rows["drifted"].sum()),
                share_drifted=data.share_drifted,
                share_threshold=config.share_drifted_features,
                prediction_drift_score=float(prediction.rows["drift_score"].iloc[0]),
                prediction_drifted=prediction.drifted,
                realised_auc=None if realised is None else float(realised["roc_auc"]),
                realised_score_date=None if realised is None else realised["score_date"],
                promotion_auc=_promotion_auc(version.tags),
                alerts="; ".join(decision.alerts) or None,
                retraining_requested=decision.retrain,
                suppressed_by_cooldown=decision.suppressed_by_cooldown,
                report_path=str(report),
            )
    drift_rows = drift_rows.assign(
        run_date=business_date, model_name=MODEL_NAME, model_version=champion
    )
    with duckdb.connect(str(settings.work_warehouse)) as con:
        write_night(con, run_date=business_date, model_name=MODEL_NAME, drift=drift_rows,
                    run=run, performance=performance)  # fmt: skip
    summary = decision.summary if decision else run["note"]
    log.info("lead model monitoring %s: %s (report: %s)", business_date, summary, report)
    return MonitoringOutcome(bool(decision and decision.retrain), summary, report)


def _performance(
    scores: pd.DataFrame, outcomes: pd.DataFrame, window: int, business_date: date
) -> pd.DataFrame:
    """Realised performance per matured score date, with the version that issued the scores."""
    if scores.empty:
        return pd.DataFrame()
    realised = realised_lead_performance(scores, outcomes, window, business_date)
    versions = scores.groupby("score_date")["model_version"].agg(lambda v: ",".join(sorted(set(v))))
    return realised.assign(
        model_name=MODEL_NAME,
        model_version=realised["score_date"].map(versions),
        evaluated_on=business_date,
        label_window_days=window,
    )


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


__all__ = ["MonitoringOutcome", "monitor_lead_model"]


def _promotion_auc(tags: dict[str, str]) -> float | None:
    """The holdout AUC to compare realised AUC with: over the population a night scores
    (every open lead younger than the label window), the same kind of rows as the realised
    figure; versions registered before that tag existed have only ``holdout_auc``."""
    return _float(tags.get("holdout_auc_scored_population") or tags.get("holdout_auc"))


def _report_summary(data: DriftResult, prediction: DriftResult, decision: RetrainDecision) -> str:
    """The report's one line: what drifted, the prediction drift and the verdict."""
    drifted = list(data.rows.loc[data.rows["drifted"], "feature"])
    named = f" ({', '.join(drifted)})" if drifted else ""
    psi = float(prediction.rows["drift_score"].iloc[0])
    return (
        f"{len(drifted)} of {len(data.rows)} features drifted{named}; prediction drift "
        f"{psi:.3f} ({'drifted' if prediction.drifted else 'within threshold'}). "
        f"Verdict: {decision.summary}"
    )
