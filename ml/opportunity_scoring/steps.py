"""Deal scoring as the DAG calls it: train (when due), score and monitor one business date.

Each step opens the working warehouse and MLflow itself and takes the business date
from the DAG run; nothing here asks the clock what day it is. The modules beside this
one are pure (frames in, frames out); ``data`` holds the mart reads and ``training``
the MLflow side of a training.
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
from ml.opportunity_scoring import data
from ml.opportunity_scoring.config import OpportunityScoringConfig, opportunity_scoring_config
from ml.opportunity_scoring.features import SLIPPED, WON, model_inputs, sufficiency
from ml.opportunity_scoring.monitor import assess_night, realised_deal_performance
from ml.opportunity_scoring.score import (
    MODEL,
    STAGE_WIN_RATE,
    expected_close_period,
    opportunity_scores_frame,
    score_with_model,
    stage_rate_factors,
    with_overdue_slipped,
)
from ml.opportunity_scoring.train import close_timing, fit_stage_rates
from ml.opportunity_scoring.training import insufficient, train_and_gate
from ml.registry.aliases import alias_version, notice_manual_moves
from ml.registry.history import PROMOTIONS, moves_frame
from ml.registry.lifecycle import TrainingOutcome, champion_for, clean_interrupted, training_due
from ml.registry.tracking import CHAMPION, configure_mlflow
from ml.settings import Settings, load_settings
from ml.warehouse import runs as monitoring

log = logging.getLogger(__name__)

MODEL_NAME = names.OPPORTUNITY_SCORING
STAGE_RATES_MODEL = "stage_win_rates"
SCORES = "ml.opportunity_scores"
SWITCHED_OFF = "switched off (opportunity_scoring.enabled is false)"


def train_deal_model(
    business_date: date, trigger: str = "manual", settings: Settings | None = None
) -> TrainingOutcome:
    """Train the win (logistic and XGBoost) and slip models on the deals mature by
    ``business_date``, register the best as ``challenger`` and promote it to
    ``champion`` if it passes the gate. Below the minimum of won and lost deals no model
    is trained and the outcome says why."""
    settings = settings or load_settings()
    return train_and_gate(business_date, trigger, settings, opportunity_scoring_config(settings))


def train_deal_model_if_due(business_date: date, settings: Settings | None = None) -> str:
    """Train when :func:`ml.registry.lifecycle.training_due` says so; returns what was
    decided, for the task log."""
    settings = settings or load_settings()
    config = opportunity_scoring_config(settings)
    if not config.enabled:
        return SWITCHED_OFF
    configure_mlflow(settings)
    import mlflow

    client = mlflow.MlflowClient()
    clean_interrupted(client, MODEL_NAME)
    reason = training_due(client, MODEL_NAME, business_date, config.retrain_every_days)
    trigger = "no_champion" if reason and reason.startswith("no champion") else "schedule"
    if reason is None:
        reason = _drift_request(client, business_date, settings)
        trigger = names.DRIFT_TRIGGER
    if reason is None:
        return f"not due for {business_date}"
    return f"{reason}: {train_and_gate(business_date, trigger, settings, config).summary}"


def _drift_request(client, business_date: date, settings: Settings) -> str | None:
    """Why monitoring asked for a retraining since the champion was trained, or None:
    the same verdict lead scoring's DAG answers with its on-demand training, answered
    here by the next night (no extra DAG for deals)."""
    from ml.monitoring.tables import last_retraining_requested
    from ml.registry.lifecycle import trained_for

    trained = trained_for(client, MODEL_NAME, alias_version(client, MODEL_NAME, CHAMPION))
    with duckdb.connect(str(settings.work_warehouse)) as con:
        asked = last_retraining_requested(con, MODEL_NAME, business_date)
    if trained is None or asked is None or asked <= trained:
        return None
    return f"monitoring asked for a retraining on {asked}"


@dataclass(frozen=True)
class ScoringOutcome:
    rows: int
    model_name: str
    model_version: str
    scoring_method: str


def score_open_deals(business_date: date, settings: Settings | None = None) -> ScoringOutcome:
    """Score every deal open at the end of ``business_date`` with
    ``opportunity_scoring@champion`` (stage win rates without one) and replace that date
    in ``ml.opportunity_scores``; then record the night's deal-scoring stage.

    Raises:
        ml.quality.outcomes.SuiteFailedError: the scores break
            expectations/ml/opportunity_scores.yml; nothing is written.
    """
    settings = settings or load_settings()
    config = opportunity_scoring_config(settings)
    stage = monitoring.OPPORTUNITY_SCORING_STAGE
    if not config.enabled:
        with duckdb.connect(str(settings.work_warehouse)) as con:
            monitoring.record_stage(con, business_date, stage, datetime.now(UTC),
                                    skipped=SWITCHED_OFF)  # fmt: skip
        return ScoringOutcome(0, "", "", "skipped")
    configure_mlflow(settings)
    import mlflow

    client = mlflow.MlflowClient()
    with duckdb.connect(str(settings.work_warehouse)) as con:
        champion, moves = notice_manual_moves(client, con, MODEL_NAME, business_date)
        write_partition(con, PROMOTIONS, moves_frame(moves))
        champion = champion_for(client, MODEL_NAME, business_date, champion)
        deals = data.read_open_deals(con, business_date)
        labelled = (
            None if champion else data.read_labelled_rows(con, business_date, config.maturity_days)
        )
    if champion is not None:
        from ml.opportunity_scoring.pyfunc import load_deal_model

        model = load_deal_model(f"models:/{MODEL_NAME}/{champion}")
        win, factors, slip = score_with_model(model, deals, config.top_factors)
        timing, name, version, method = model.timing, MODEL_NAME, champion, MODEL
    else:
        win, factors, slip, timing, version = _stage_rate_scores(
            deals, labelled, business_date, config
        )
        name, method = STAGE_RATES_MODEL, STAGE_WIN_RATE
    slip = with_overdue_slipped(deals, slip, business_date)
    scores = opportunity_scores_frame(
        deals, win, slip, factors, expected_close_period(deals, slip, timing, business_date),
        score_date=business_date, model_name=name, model_version=version,
        scoring_method=method, scored_at=datetime.now(UTC),
    )  # fmt: skip
    with duckdb.connect(str(settings.work_warehouse)) as con:
        write_partition(con, SCORES, scores, {"score_date": business_date})
        monitoring.record_stage(con, business_date, stage, datetime.now(UTC))
    log.info("wrote %s deal scores for %s from %s v%s (%s)", f"{len(scores):,}", business_date,
             name, version, method)  # fmt: skip
    return ScoringOutcome(len(scores), name, version, method)


def _stage_rate_scores(
    deals: pd.DataFrame,
    labelled: pd.DataFrame,
    business_date: date,
    config: OpportunityScoringConfig,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, float], str]:
    won, lost = sufficiency(labelled)
    why = insufficient(won, lost, config) or "no champion yet; scoring with stage win rates"
    log.warning("opportunity scoring %s: %s", business_date, why)
    rates = fit_stage_rates(labelled, WON, config.pseudo_deals, config.default_win_rate)
    slip = fit_stage_rates(labelled, SLIPPED, config.pseudo_deals, 0.5)
    timing = close_timing(labelled, labelled["closed_on"])
    return (
        rates.probability(deals["stage"]),
        stage_rate_factors(deals["stage"], rates),
        slip.probability(deals["stage"]),
        timing,
        f"{business_date.isoformat()}-{won + lost}deals",
    )


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
    from ml.monitoring.config import drift_config
    from ml.monitoring.tables import last_retraining_requested, write_night
    from ml.opportunity_scoring.pyfunc import load_deal_model

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
        outcomes = data.read_outcomes(con)
        deals = data.read_open_deals(con, business_date)
        last = last_retraining_requested(con, MODEL_NAME, business_date)
    performance = pd.DataFrame()
    if not scores.empty:
        realised = realised_deal_performance(scores, outcomes, business_date, config.maturity_days)
        versions = scores.groupby("score_date")["model_version"].agg(
            lambda v: ",".join(sorted(set(v)))
        )
        performance = realised.assign(
            model_name=MODEL_NAME, model_version=realised["score_date"].map(versions),
            evaluated_on=business_date, label_window_days=config.maturity_days,
        )  # fmt: skip
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
            numeric=model.spec.numeric, performance=performance, promotion_auc=promotion,
            last_retrained=last, business_date=business_date, config=drift,
        )  # fmt: skip
        drift_rows = night.drift_rows
        report = save_drift_report(
            settings.reports / "drift", business_date, MODEL_NAME, [night.data, night.prediction],
            model_version=champion, summary=night.decision.summary,
        )  # fmt: skip
        run.update({
            "features": len(night.data.rows), "share_drifted": night.data.share_drifted,
            "drifted_features": int(night.data.rows["drifted"].sum()),
            "share_threshold": drift.share_drifted_features,
            "prediction_drift_score": float(night.prediction.rows["drift_score"].iloc[0]),
            "prediction_drifted": night.prediction.drifted, "promotion_auc": promotion,
            "alerts": "; ".join(night.decision.alerts) or None,
            "retraining_requested": night.decision.retrain,
            "suppressed_by_cooldown": night.decision.suppressed_by_cooldown,
            "report_path": str(report),
        })  # fmt: skip
    drift_rows = drift_rows.assign(run_date=business_date, model_name=MODEL_NAME,
                                   model_version=champion)  # fmt: skip
    with duckdb.connect(str(settings.work_warehouse)) as con:
        write_night(con, run_date=business_date, model_name=MODEL_NAME, drift=drift_rows,
                    run=run, performance=performance)  # fmt: skip
    summary = night.decision.summary if night else str(run["note"])
    log.info("deal model monitoring %s: %s", business_date, summary)
    return MonitoringOutcome(bool(night and night.decision.retrain), summary, report)
