"""The train step: read the labelled rows, check there is enough data, fit and log both
candidates, register the best as ``challenger`` and run the promotion gate.

The fitting and judging are the pure :mod:`ml.lead_scoring.train` and
:mod:`ml.lead_scoring.evaluate`; this module does the reads (through
:mod:`~ml.lead_scoring.steps.training_rows`), MLflow (through
:mod:`~ml.lead_scoring.steps.tracking` and ``ml.registry``) and the catalog write of the
alias moves.
"""

from __future__ import annotations

import logging
from datetime import date
from functools import partial

import duckdb
import mlflow
import numpy as np
import pandas as pd

from ml.catalog import write_partition
from ml.lead_scoring.config import SWITCHED_OFF, LeadScoringConfig, lead_scoring_config
from ml.lead_scoring.evaluate import evaluate_per_lead, life_point_ages, promotion_decision
from ml.lead_scoring.features import (
    FINAL_STATE_LEAKAGE,
    LABEL,
    FeatureSpec,
    feature_spec,
    model_inputs,
    sufficiency,
)
from ml.lead_scoring.steps.score import load_lead_model, read_open_leads
from ml.lead_scoring.steps.tracking import (
    MODEL_NAME,
    log_candidate,
    log_reference_sample,
    register_candidate,
)
from ml.lead_scoring.steps.training_rows import read_labelled_rows, read_leakage_columns
from ml.lead_scoring.train import (
    Candidate,
    best_candidate,
    final_state_window,
    finite,
    fit_candidates,
    per_lead_tags,
    split_rows,
    version_fingerprint,
    version_tags,
)
from ml.registry.gate import GateDecision
from ml.registry.history import PROMOTIONS, moves_frame
from ml.registry.lifecycle import (
    TrainingOutcome,
    clean_interrupted,
    gate_new_version,
    reused_outcome,
    training_due,
)
from ml.registry.tracking import configure_mlflow, use_experiment
from ml.settings import Settings, load_settings

log = logging.getLogger(__name__)

SCHEDULE, NO_CHAMPION, MANUAL, DRIFT = "schedule", "no_champion", "manual", "drift"


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


def train_and_gate(
    business_date: date, trigger: str, settings: Settings, config: LeadScoringConfig
) -> TrainingOutcome:
    use_experiment(settings, MODEL_NAME)
    leakage = read_leakage_columns(settings.landing) | set(config.leakage_columns)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        rows, final_state = read_labelled_rows(con, settings.landing, business_date, config)
    if final_state:
        leakage |= FINAL_STATE_LEAKAGE
    leads, converted = sufficiency(rows)
    client = mlflow.MlflowClient()
    clean_interrupted(client, MODEL_NAME)
    if leads >= config.min_mature_leads and converted >= config.min_converted_leads:
        spec = feature_spec(rows.drop(columns=["converted_at", LABEL]), leakage)
        fingerprint = version_fingerprint(rows, model_inputs(rows, spec))
        reused = reused_outcome(client, MODEL_NAME, business_date, fingerprint, trigger)
        if reused is not None:
            log.info("lead scoring %s: %s", business_date, reused.summary)
            return reused
    with mlflow.start_run(run_name=f"train {business_date} ({trigger})") as run:
        kind = "final_states" if final_state else "snapshots"
        mlflow.set_tags({"salespipe_kind": "training", "trigger": trigger, "training_rows": kind})
        mlflow.log_params({"business_date": business_date.isoformat(), **config.as_params()})
        mlflow.log_metrics({"mature_leads": leads, "converted_leads": converted, "rows": len(rows)})
        if leads < config.min_mature_leads or converted < config.min_converted_leads:
            summary = (
                f"insufficient data: {leads} mature leads ({config.min_mature_leads} needed), "
                f"{converted} converted ({config.min_converted_leads} needed); no model trained"
            )
            mlflow.set_tag("validation_status", "insufficient_data")
            log.warning("lead scoring %s: %s", business_date, summary)
            return TrainingOutcome(run.info.run_id, None, False, summary)
        spec = feature_spec(rows.drop(columns=["converted_at", LABEL]), leakage)
        split = split_rows(rows, config.holdout_fraction, config.calibration_fraction, config.seed)
        mlflow.log_params({"split_method": split.method, "features": ",".join(spec.columns),
                           "excluded_features": ",".join(sorted(spec.excluded))})  # fmt: skip
        candidates = fit_candidates(rows, spec, split, config)
        inputs = model_inputs(rows, spec)
        holdout_x, holdout_y = inputs.iloc[split.holdout], rows[LABEL].to_numpy()[split.holdout]
        holdout_rows = rows.iloc[split.holdout]
        ages = life_point_ages()
        honest = {
            c.name: evaluate_per_lead(
                holdout_rows, holdout_y, c.holdout_probability, ages, config.label_window_days
            )
            for c in candidates
        }
        for candidate in candidates:
            with mlflow.start_run(run_name=candidate.name, nested=True):
                log_candidate(candidate, holdout_x, holdout_y)
                mlflow.log_metrics(finite(honest[candidate.name].as_dict(), "holdout_"))
        best = best_candidate(candidates)
        mlflow.log_metrics({f"best_holdout_{k}": v for k, v in best.metrics.as_dict().items()})
        mlflow.log_metrics(finite(honest[best.name].as_dict(), "best_holdout_"))
        tags = version_tags(rows, inputs, split, business_date, best, config, trigger)
        tags.update(per_lead_tags(honest[best.name]))
        if final_state:
            tags["training_window"] = final_state_window(rows, business_date)
        tags["training_rows"] = kind
        tags["reference_uri"] = _log_reference(
            best,
            spec,
            inputs.iloc[split.train],
            rows["lead_id"].iloc[split.train],
            business_date,
            settings,
        )
        version = register_candidate(best, inputs.iloc[split.train], tags)
        with duckdb.connect(str(settings.work_warehouse)) as con:
            decision, moves = gate_new_version(
                mlflow.MlflowClient(), con, model_name=MODEL_NAME, version=version,
                business_date=business_date, trigger=trigger,
                decide=partial(_gate, best=best, holdout_rows=holdout_rows,
                               holdout_y=holdout_y, config=config),
            )  # fmt: skip
            write_partition(con, PROMOTIONS, moves_frame(moves))
        mlflow.set_tags({"gate_decision": decision.reason, "registered_version": version})
    verdict = "promoted to champion" if decision.promote else "stays challenger"
    summary = f"{best.name} v{version} {verdict}: {decision.reason}"
    log.info("lead scoring %s: %s", business_date, summary)
    return TrainingOutcome(run.info.run_id, version, decision.promote, summary)


def _log_reference(
    best: Candidate,
    spec: FeatureSpec,
    train_inputs: pd.DataFrame,
    train_lead_ids: pd.Series,
    business_date: date,
    settings: Settings,
) -> str:
    """A seeded sample of the population this version will score, the leads open on
    ``business_date``, with the model's predictions: what drift is measured against while
    this version is champion. Each row keeps its ``lead_id`` (drift compares the feature
    columns only), so an erasure can find a person's rows in it.

    Training rows are a different population (snapshots of leads of every age, most of
    them closed since), so against them the age and recency of tonight's open leads
    would "drift" every night, the training night included. Without open leads (a
    history that ends with none), the training inputs stand in.
    """
    from ml.monitoring import reference_sample
    from ml.monitoring.config import drift_config

    with duckdb.connect(str(settings.work_warehouse)) as con:
        open_leads = read_open_leads(con, business_date)
    population, lead_ids = model_inputs(open_leads, spec), open_leads["lead_id"]
    if population.empty:
        log.warning(
            "no open leads on %s: the drift reference is the training inputs", business_date
        )
        population, lead_ids = train_inputs, train_lead_ids
    drift = drift_config(settings)
    sample = reference_sample(
        population.assign(lead_id=lead_ids.to_numpy()).reset_index(drop=True),
        best.model.predict_proba(population),
        drift.reference_sample_size,
        drift.seed,
    )
    return log_reference_sample(sample)


def _gate(
    champion: str | None,
    *,
    best: Candidate,
    holdout_rows: pd.DataFrame,
    holdout_y: np.ndarray,
    config: LeadScoringConfig,
) -> GateDecision:
    """Load the champion and what it had seen, then judge the challenger
    (:func:`ml.lead_scoring.evaluate.promotion_decision`)."""
    model, seen_until = None, None
    if champion is not None:
        model = load_lead_model(f"models:/{MODEL_NAME}/{champion}")
        version = mlflow.MlflowClient().get_model_version(MODEL_NAME, champion)
        seen_until = version.tags.get("holdout_starts_at")
    return promotion_decision(
        champion, model, seen_until,
        challenger_p=best.holdout_probability,
        challenger_ece=best.metrics.expected_calibration_error,
        holdout_rows=holdout_rows, holdout_y=holdout_y, config=config,
    )  # fmt: skip
