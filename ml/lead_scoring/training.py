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

from ml.lead_scoring import data
from ml.lead_scoring.config import LeadScoringConfig
from ml.lead_scoring.features import (
    LABEL,
    feature_spec,
    labelled_snapshots,
    model_inputs,
    sufficiency,
)
from ml.lead_scoring.split import split_rows
from ml.lead_scoring.tracking import (
    MODEL_NAME,
    log_candidate,
    log_reference_sample,
    register_candidate,
)
from ml.lead_scoring.train import Candidate, best_candidate, fit_candidates
from ml.metrics import classification_metrics
from ml.registry.gate import GateDecision, decide_promotion
from ml.registry.lifecycle import TrainingOutcome, gate_new_version
from ml.registry.provenance import code_version, data_fingerprint
from ml.registry.tracking import use_experiment
from ml.settings import Settings

log = logging.getLogger(__name__)


def train_and_gate(
    business_date: date, trigger: str, settings: Settings, config: LeadScoringConfig
) -> TrainingOutcome:
    use_experiment(settings, MODEL_NAME)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        snapshots = data.read_training_snapshots(
            con, business_date, config.label_window_days, config.max_training_rows, config.seed
        )
    outcomes = snapshots[["lead_id", "converted_at"]].drop_duplicates("lead_id")
    rows = labelled_snapshots(snapshots, outcomes, business_date, config.label_window_days)
    leads, converted = sufficiency(rows)
    leakage = data.read_leakage_columns(settings.landing) | set(config.leakage_columns)
    with mlflow.start_run(run_name=f"train {business_date} ({trigger})") as run:
        mlflow.set_tags({"salespipe_kind": "training", "trigger": trigger})
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
        spec = feature_spec(snapshots.drop(columns="converted_at"), leakage)
        split = split_rows(rows, config.holdout_fraction, config.calibration_fraction, config.seed)
        mlflow.log_params({"split_method": split.method, "features": ",".join(spec.columns),
                           "excluded_features": ",".join(sorted(spec.excluded))})  # fmt: skip
        candidates = fit_candidates(rows, spec, split, config)
        inputs = model_inputs(rows, spec)
        holdout_x, holdout_y = inputs.iloc[split.holdout], rows[LABEL].to_numpy()[split.holdout]
        for candidate in candidates:
            with mlflow.start_run(run_name=candidate.name, nested=True):
                log_candidate(candidate, holdout_x, holdout_y)
        best = best_candidate(candidates)
        mlflow.log_metrics({f"best_holdout_{k}": v for k, v in best.metrics.as_dict().items()})
        tags = _version_tags(rows, inputs, split, business_date, best, config, trigger)
        tags["reference_uri"] = _log_reference(
            best, inputs.iloc[split.train], rows["lead_id"].iloc[split.train], settings
        )
        version = register_candidate(best, inputs.iloc[split.train], tags)
        holdout_rows = rows.iloc[split.holdout]
        with duckdb.connect(str(settings.work_warehouse)) as con:
            decision = gate_new_version(
                mlflow.MlflowClient(), con, model_name=MODEL_NAME, version=version,
                business_date=business_date, trigger=trigger,
                decide=partial(_gate, best=best, holdout_rows=holdout_rows,
                               holdout_x=holdout_x, holdout_y=holdout_y, config=config),
            )  # fmt: skip
        mlflow.set_tags({"gate_decision": decision.reason, "registered_version": version})
    verdict = "promoted to champion" if decision.promote else "stays challenger"
    summary = f"{best.name} v{version} {verdict}: {decision.reason}"
    log.info("lead scoring %s: %s", business_date, summary)
    return TrainingOutcome(run.info.run_id, version, decision.promote, summary)


def _log_reference(
    best: Candidate, train_x: pd.DataFrame, lead_ids: pd.Series, settings: Settings
) -> str:
    """A seeded sample of the training inputs with the model's predictions: what drift is
    measured against while this version is champion. Each row keeps its ``lead_id`` (drift
    compares the feature columns only), so an erasure can find a person's rows in it."""
    from ml.drift import reference_sample

    drift = settings.drift()
    sample = reference_sample(
        train_x.assign(lead_id=lead_ids.to_numpy()).reset_index(drop=True),
        best.model.predict_proba(train_x),
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
    """Compare with the champion on the holdout rows it never trained on (all of them if
    too few), with the calibration limit and the minimum AUC as checks."""
    challenger_p, champion_auc = best.holdout_probability, None
    mask = np.ones(len(holdout_y), dtype=bool)
    if champion is not None:
        from ml.lead_scoring.pyfunc import load_lead_model

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
            champion_auc = classification_metrics(holdout_y[mask], champion_p).roc_auc
        except KeyError as exc:  # the champion needs columns the mart no longer has
            champion_auc = float("-inf")
            log.warning("champion v%s cannot score tonight's data: %s", champion, exc)
    metrics = classification_metrics(holdout_y[mask], challenger_p[mask])
    ece = best.metrics.expected_calibration_error
    return decide_promotion(
        metric=f"holdout AUC on {mask.sum():,} rows",
        challenger=metrics.roc_auc,
        champion=champion_auc,
        higher_is_better=True,
        margin=config.promotion_margin,
        checks={
            "calibration": (
                ece <= config.max_calibration_error,
                f"expected calibration error {ece:.4f} (limit {config.max_calibration_error})",
            ),
            "minimum AUC": (
                best.metrics.roc_auc >= config.min_auc,
                f"holdout AUC {best.metrics.roc_auc:.4f} (minimum {config.min_auc})",
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
        "data_fingerprint": data_fingerprint(
            pd.concat([rows[["lead_id", "as_of_date", LABEL]], inputs], axis=1)
        ),
        "code_version": code_version(),
        "estimator": best.name,
        "trigger": trigger,
        "validation_status": "pending",
        "holdout_auc": f"{best.metrics.roc_auc:.4f}",
        "holdout_ece": f"{best.metrics.expected_calibration_error:.4f}",
    }
