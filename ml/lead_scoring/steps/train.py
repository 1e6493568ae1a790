"""One training: read the mature snapshots, check there is enough data, fit and log both
candidates, register the best as ``challenger`` and run the promotion gate."""

from __future__ import annotations

import logging
from datetime import date
from functools import partial

import duckdb
import mlflow
import numpy as np
import pandas as pd

from ml.catalog import write_partition
from ml.lead_scoring.config import LeadScoringConfig
from ml.lead_scoring.evaluate import (
    PerLeadEvaluation,
    evaluate_per_lead,
    life_point_ages,
    per_lead_auc,
)
from ml.lead_scoring.features import (
    FINAL_STATE_LEAKAGE,
    LABEL,
    FeatureSpec,
    feature_spec,
    model_inputs,
    sufficiency,
)
from ml.lead_scoring.split import split_rows
from ml.lead_scoring.steps import training_rows as data
from ml.lead_scoring.steps.tracking import (
    MODEL_NAME,
    log_candidate,
    log_reference_sample,
    register_candidate,
)
from ml.lead_scoring.train import Candidate, best_candidate, fit_candidates
from ml.metrics import calibration_noise_floor
from ml.registry.gate import GateDecision, decide_promotion
from ml.registry.history import PROMOTIONS, moves_frame
from ml.registry.lifecycle import (
    TrainingOutcome,
    clean_interrupted,
    gate_new_version,
    reused_outcome,
)
from ml.registry.provenance import code_version, data_fingerprint
from ml.registry.tracking import use_experiment
from ml.settings import Settings

log = logging.getLogger(__name__)


def train_and_gate(
    business_date: date, trigger: str, settings: Settings, config: LeadScoringConfig
) -> TrainingOutcome:
    use_experiment(settings, MODEL_NAME)
    leakage = data.read_leakage_columns(settings.landing) | set(config.leakage_columns)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        rows, final_state = data.read_labelled_rows(con, settings.landing, business_date, config)
    if final_state:
        leakage |= FINAL_STATE_LEAKAGE
    leads, converted = sufficiency(rows)
    client = mlflow.MlflowClient()
    clean_interrupted(client, MODEL_NAME)
    if leads >= config.min_mature_leads and converted >= config.min_converted_leads:
        spec = feature_spec(rows.drop(columns=["converted_at", LABEL]), leakage)
        fingerprint = _fingerprint(rows, model_inputs(rows, spec))
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
                mlflow.log_metrics(_finite(honest[candidate.name].as_dict(), "holdout_"))
        best = best_candidate(candidates)
        mlflow.log_metrics({f"best_holdout_{k}": v for k, v in best.metrics.as_dict().items()})
        mlflow.log_metrics(_finite(honest[best.name].as_dict(), "best_holdout_"))
        tags = _version_tags(rows, inputs, split, business_date, best, config, trigger)
        tags.update(_honest_tags(honest[best.name]))
        if final_state:
            tags["training_window"] = _final_state_window(rows, business_date)
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
                               holdout_x=holdout_x, holdout_y=holdout_y, config=config),
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
        open_leads = data.read_open_leads(con, business_date)
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
    holdout_x: pd.DataFrame,
    holdout_y: np.ndarray,
    config: LeadScoringConfig,
) -> GateDecision:
    """Compare with the champion on the holdout leads it never trained on (all of them if
    too few), each lead judged once per life point, with the calibration limit and the
    minimum AUC as checks."""
    challenger_p, champion_auc = best.holdout_probability, None
    ages = life_point_ages()
    mask = np.ones(len(holdout_y), dtype=bool)
    if champion is not None:
        from ml.lead_scoring.model.pyfunc import load_lead_model

        model = load_lead_model(f"models:/{MODEL_NAME}/{champion}")
        seen_until = (
            mlflow.MlflowClient()
            .get_model_version(MODEL_NAME, champion)
            .tags.get("holdout_starts_at")
        )
        if seen_until:
            unseen = (
                pd.to_datetime(holdout_rows["created_at"]) >= pd.Timestamp(seen_until)
            ).to_numpy()
            if (
                unseen.sum() >= config.min_comparison_rows
                and 0 < holdout_y[unseen].sum() < unseen.sum()
            ):
                mask = unseen
        try:
            champion_p = model.predict_proba(model_inputs(holdout_rows[mask], model.spec))
            champion_auc = per_lead_auc(
                holdout_rows[mask], holdout_y[mask], champion_p, ages, config.label_window_days
            )
        except KeyError as exc:  # the champion needs columns the mart no longer has
            champion_auc = float("-inf")
            log.warning("champion v%s cannot score tonight's data: %s", champion, exc)
    challenger_auc = per_lead_auc(
        holdout_rows[mask], holdout_y[mask], challenger_p[mask], ages, config.label_window_days
    )
    ece = best.metrics.expected_calibration_error
    # Beyond the configured limit only when chance alone would not explain it on this
    # many holdout rows (a calibrated model's ECE on 600 rows is often above 0.05).
    ece_limit = max(
        config.max_calibration_error, calibration_noise_floor(challenger_p, seed=config.seed)
    )
    return decide_promotion(
        metric="per-lead holdout AUC"
        + ("" if holdout_rows["lead_id"].is_unique else f" (ages {', '.join(map(str, ages))} days)")
        + f" of {holdout_rows[mask]['lead_id'].nunique():,} leads",
        challenger=challenger_auc,
        champion=champion_auc,
        higher_is_better=True,
        margin=config.promotion_margin,
        checks={
            "calibration": (
                ece <= ece_limit,
                f"expected calibration error {ece:.4f} (limit {ece_limit:.4f}: "
                f"{config.max_calibration_error}, or what chance gives a calibrated model "
                f"on {len(challenger_p):,} rows)",
            ),
            "minimum AUC": (
                challenger_auc >= config.min_auc,
                f"per-lead holdout AUC {challenger_auc:.4f} (minimum {config.min_auc})",
            ),
        },
    )


def _version_tags(rows, inputs, split, business_date, best, config, trigger) -> dict[str, str]:
    created = pd.to_datetime(rows["created_at"])
    train_created = created.iloc[np.concatenate([split.train, split.calibration])]
    return {
        "business_date": business_date.isoformat(),
        "training_window": f"leads created {train_created.min():%Y-%m-%d} to "
        f"{train_created.max():%Y-%m-%d}; labels ({config.label_window_days}-day window) "
        f"known by {business_date}",
        "holdout_starts_at": ""
        if split.holdout_starts_at is None
        else str(split.holdout_starts_at),
        "split_method": split.method,
        "data_fingerprint": _fingerprint(rows, inputs),
        "code_version": code_version(),
        "estimator": best.name,
        "trigger": trigger,
        "validation_status": "pending",
        "holdout_auc_all_snapshots": f"{best.metrics.roc_auc:.4f}",
        "holdout_ece": f"{best.metrics.expected_calibration_error:.4f}",
    }


def _final_state_window(rows: pd.DataFrame, business_date: date) -> str:
    created = pd.to_datetime(rows["created_at"])
    return (
        f"{len(rows):,} leads' final states as of {business_date} "
        f"(created {created.min():%Y-%m-%d} to {created.max():%Y-%m-%d})"
    )


def _honest_tags(evaluation: PerLeadEvaluation) -> dict[str, str]:
    """The per-lead figures as version tags; ``holdout_auc`` is the headline one, what a
    user sees on new leads (``models list`` and the gate show it)."""
    tags = {"holdout_auc": f"{evaluation.headline_auc:.4f}"}
    for age, metrics in evaluation.points.items():
        tags[f"holdout_auc_at_age_{age}"] = f"{metrics.roc_auc:.4f}"
    if evaluation.scored_population is not None:
        tags["holdout_auc_scored_population"] = f"{evaluation.scored_population.roc_auc:.4f}"
    return tags


def _finite(metrics: dict[str, float], prefix: str) -> dict[str, float]:
    """``metrics`` with ``prefix``, leaving out NaN (MLflow's charts cannot plot it)."""
    return {prefix + k: v for k, v in metrics.items() if np.isfinite(v)}


def _fingerprint(rows: pd.DataFrame, inputs: pd.DataFrame) -> str:
    """What a version is keyed on with its business date: the labelled model inputs."""
    return data_fingerprint(pd.concat([rows[["lead_id", "as_of_date", LABEL]], inputs], axis=1))
