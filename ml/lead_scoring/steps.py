"""Lead scoring as the DAGs call it: train (when due), gate, score and monitor one business date.

Each step opens the working warehouse and MLflow itself and takes the business date
from the DAG run; nothing here asks the clock what day it is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ml import names
from ml.catalog import write_partition
from ml.faults import kill_point
from ml.lead_scoring import data
from ml.lead_scoring.config import LeadScoringConfig, lead_scoring_config
from ml.lead_scoring.factors import factors_json, top_factor_rows
from ml.lead_scoring.features import model_inputs
from ml.lead_scoring.monitor import assess_night, performance_history, promotion_auc, run_row
from ml.lead_scoring.prior import PRIOR_MODEL_NAME, fit_source_prior, prior_factors
from ml.lead_scoring.score import MODEL, PRIOR, lead_scores_frame, stale_leads
from ml.lead_scoring.training import train_and_gate
from ml.monitoring import save_drift_report
from ml.monitoring.config import drift_config
from ml.monitoring.tables import last_retraining_requested, write_night
from ml.registry.aliases import alias_version, notice_manual_moves
from ml.registry.history import PROMOTIONS, moves_frame
from ml.registry.lifecycle import (
    TrainingOutcome,
    champion_for,
    clean_interrupted,
    training_due,
)
from ml.registry.tracking import CHAMPION, configure_mlflow
from ml.settings import Settings, load_settings
from ml.warehouse import runs as monitoring

log = logging.getLogger(__name__)

MODEL_NAME = names.LEAD_SCORING
SCHEDULE, NO_CHAMPION, MANUAL, DRIFT = "schedule", "no_champion", "manual", "drift"
SKIPPED = "skipped"
SWITCHED_OFF = "switched off (lead_scoring.enabled is false)"


def train_lead_model(
    business_date: date, trigger: str = MANUAL, settings: Settings | None = None
) -> TrainingOutcome:
    """Train both candidates on the labels known by ``business_date``, register the best
    as ``challenger`` and promote it to ``champion`` if it passes the gate.

    ``trigger`` (schedule, no_champion, manual, drift) is recorded on the run. This is
    the entry point a drift alert calls.
    """
    settings = settings or load_settings()
    return train_and_gate(business_date, trigger, settings, lead_scoring_config(settings))


def train_lead_model_if_due(business_date: date, settings: Settings | None = None) -> str:
    """Train when :func:`ml.registry.lifecycle.training_due` says so (no champion, or the
    newest version is ``retrain_every_days`` old).

    Returns what was decided, for the task log.
    """
    settings = settings or load_settings()
    config = lead_scoring_config(settings)
    if not config.enabled:
        return SWITCHED_OFF
    configure_mlflow(settings)
    import mlflow

    clean_interrupted(mlflow.MlflowClient(), MODEL_NAME)
    reason = training_due(
        mlflow.MlflowClient(), MODEL_NAME, business_date, config.retrain_every_days
    )
    if reason is None:
        return f"not due for {business_date}"
    trigger = NO_CHAMPION if reason.startswith("no champion") else SCHEDULE
    return f"{reason}: {train_and_gate(business_date, trigger, settings, config).summary}"


@dataclass(frozen=True)
class ScoringOutcome:
    rows: int
    model_name: str
    model_version: str
    scoring_method: str


def score_open_leads(business_date: date, settings: Settings | None = None) -> ScoringOutcome:
    """Score every lead open at the end of ``business_date`` with ``lead_scoring@champion``
    (the documented prior without one) and replace that date in ``ml.lead_scores``.

    Raises:
        ml.quality.outcomes.SuiteFailedError: the scores break expectations/ml/lead_scores.yml;
            nothing is written.
    """
    settings = settings or load_settings()
    config = lead_scoring_config(settings)
    if not config.enabled:
        log.warning("lead scoring skipped for %s: %s", business_date, SWITCHED_OFF)
        with duckdb.connect(str(settings.work_warehouse)) as con:
            monitoring.record_stage(
                con, business_date, monitoring.LEAD_SCORING_STAGE, datetime.now(UTC),
                skipped=SWITCHED_OFF,
            )  # fmt: skip
        return ScoringOutcome(0, "", "", SKIPPED)
    configure_mlflow(settings)
    import mlflow

    client = mlflow.MlflowClient()
    with duckdb.connect(str(settings.work_warehouse)) as con:
        champion, moves = notice_manual_moves(client, con, MODEL_NAME, business_date)
        write_partition(con, PROMOTIONS, moves_frame(moves))
        # a backfill behind the live champion scores with the champion as of its date
        champion = champion_for(client, MODEL_NAME, business_date, champion)
        leads = data.read_open_leads(con, business_date)
        if champion is None:
            labelled, _ = data.read_labelled_rows(con, settings.landing, business_date, config)
    log.info("scoring %s open leads as of %s", f"{len(leads):,}", business_date)
    if champion is not None:
        probability, long, name, version, method = _score_with_champion(leads, champion, config)
    else:
        probability, long, name, version, method = _score_with_prior(
            leads, labelled, business_date, config
        )
    scores = lead_scores_frame(
        leads["lead_id"],
        probability,
        factors_json(long, len(leads)),
        score_date=business_date,
        model_name=name,
        model_version=version,
        scoring_method=method,
        scored_at=datetime.now(UTC),
        grade_cutoffs=config.grade_cutoffs,
        stale=stale_leads(leads, config.stale_after_days),
        grade_method=config.grade_method,
        grade_shares=config.grade_shares,
    )
    kill_point("lead_scoring:scoring")
    with duckdb.connect(str(settings.work_warehouse)) as con:
        data.write_lead_scores(con, scores, business_date)
        # The night's lead-scoring stage is done: the night may publish once all are.
        monitoring.record_stage(
            con, business_date, monitoring.LEAD_SCORING_STAGE, datetime.now(UTC)
        )
    log.info("wrote %s scores for %s from %s v%s", f"{len(scores):,}", business_date, name, version)
    return ScoringOutcome(len(scores), name, version, method)


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
    from ml.lead_scoring.pyfunc import load_lead_model

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
        leads = data.read_open_leads(con, business_date) if champion else None
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


def _score_with_champion(
    leads: pd.DataFrame, version: str, config: LeadScoringConfig
) -> tuple[np.ndarray, pd.DataFrame, str, str, str]:
    from ml.lead_scoring.pyfunc import load_lead_model

    # Load the version the alias resolved to, not the alias again: a hand move between
    # the two would otherwise write one version's number on another's scores.
    model = load_lead_model(f"models:/{MODEL_NAME}/{version}")
    probability, long = score_with_model(model, leads, config.top_factors)
    return probability, long, MODEL_NAME, version, MODEL


def score_with_model(
    model, leads: pd.DataFrame, top_factors: int
) -> tuple[np.ndarray, pd.DataFrame]:
    """Probabilities and the long table of top factors of ``lead_features`` rows, from a
    loaded ExplainableModel: the nightly's scoring, and the online API's (ml/serving)."""
    inputs = model_inputs(leads, model.spec)
    if inputs.empty:
        return np.array([]), _no_factors()
    contributions, bias = model.contributions(inputs)
    margin = contributions.sum(axis=1) + bias
    probability = 1.0 / (1.0 + np.exp(-margin))
    long = top_factor_rows(contributions, inputs, model.spec.columns, top_factors, margin)
    return probability, long


def _score_with_prior(
    leads: pd.DataFrame, labelled: pd.DataFrame, business_date: date, config: LeadScoringConfig
) -> tuple[np.ndarray, pd.DataFrame, str, str, str]:
    prior = fit_source_prior(labelled, config.prior_pseudo_leads, config.prior_default_rate)
    log.warning(
        "no lead_scoring champion: scoring with the source prior "
        "(%d mature leads, overall rate %.3f)",
        prior.mature_leads, prior.overall_rate,
    )  # fmt: skip
    version = f"{business_date.isoformat()}-{prior.mature_leads}leads"
    return (
        prior.probability(leads["source"]),
        prior_factors(prior, leads["source"]) if len(leads) else _no_factors(),
        PRIOR_MODEL_NAME,
        version,
        PRIOR,
    )


def _no_factors() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=t) for c, t in [("row", "int64"), ("direction", "object"),
         ("rank", "int64"), ("feature", "object"), ("label", "object"), ("value", "object"),
         ("impact", "float64"), ("probability_effect", "float64")]}
    )  # fmt: skip
