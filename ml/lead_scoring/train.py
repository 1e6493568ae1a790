"""The train stage: split the labelled rows, fit both candidates, judge them on the same
holdout, and the tags that describe the version a training registers.

Pure: labelled rows in, a split, fitted and evaluated candidates and tags out. The train
step (:mod:`ml.lead_scoring.steps.train`) reads the rows, logs to MLflow and runs the
promotion gate.

The split: train, calibration and holdout rows, by time, whole leads at a time.

The holdout is the most recent ``holdout_fraction`` of mature leads by creation time
(Dynamics 365 validates on the most recent 20%, never a random split): the model is
judged on the leads closest to the ones it will score. The calibration slice is the most
recent part of what remains. A lead's snapshots always stay together, so no lead is
seen in training and judged in the holdout.

When creation times cannot order the leads (too few distinct days, e.g. an export that
stamped every lead with its export date), the split falls back to a seeded random split
stratified by label, and says so in ``method``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from ml.lead_scoring.config import LeadScoringConfig
from ml.lead_scoring.evaluate import PerLeadEvaluation
from ml.lead_scoring.features import LABEL, MIN_DATED_DAYS, FeatureSpec, model_inputs
from ml.metrics import ClassificationMetrics, classification_metrics
from ml.modelling.fit import fit_logistic, fit_xgboost
from ml.modelling.model import LOGISTIC, XGBOOST, ExplainableModel
from ml.registry.provenance import code_version, data_fingerprint

log = logging.getLogger(__name__)

TIME_ORDERED, STRATIFIED_RANDOM = "time_ordered", "stratified_random"
# Fewer distinct creation days than this and time cannot order the leads (the same
# threshold says an export of outcomes has no dates of its own).
MIN_DISTINCT_CREATION_DAYS = MIN_DATED_DAYS


@dataclass(frozen=True)
class Split:
    """Row positions of each part and how they were chosen."""

    train: np.ndarray
    calibration: np.ndarray
    holdout: np.ndarray
    method: str
    # Leads created before this were available to training; later ones only to the
    # holdout (None for the random split). A later challenger is compared with this
    # model on holdout rows created at or after it.
    holdout_starts_at: pd.Timestamp | None


def split_rows(
    rows: pd.DataFrame, holdout_fraction: float, calibration_fraction: float, seed: int
) -> Split:
    """Split labelled snapshots (ordered by ``created_at``) into the three parts.

    Raises:
        ValueError: fewer than 3 leads, too few to split.
    """
    leads = rows.groupby("lead_id", sort=False).agg(
        created_at=("created_at", "first"), label=(LABEL, "max")
    )
    if len(leads) < 3:
        raise ValueError(f"need at least 3 labelled leads to split, got {len(leads)}")
    created = pd.to_datetime(leads["created_at"])
    if created.dt.normalize().nunique() >= MIN_DISTINCT_CREATION_DAYS:
        order = np.argsort(created.to_numpy(), kind="stable")
        method = TIME_ORDERED
    else:
        order = _stratified_order(leads["label"].to_numpy(), seed)
        method = STRATIFIED_RANDOM
    n = len(order)
    n_holdout = max(1, round(n * holdout_fraction))
    n_calibration = max(1, round((n - n_holdout) * calibration_fraction))
    part = np.empty(n, dtype=np.int8)
    part[order[: n - n_holdout - n_calibration]] = 0
    part[order[n - n_holdout - n_calibration : n - n_holdout]] = 1
    part[order[n - n_holdout :]] = 2
    row_part = rows["lead_id"].map(pd.Series(part, index=leads.index)).to_numpy()
    holdout_start = created.iloc[order[n - n_holdout]] if method == TIME_ORDERED else None
    return Split(
        train=np.flatnonzero(row_part == 0),
        calibration=np.flatnonzero(row_part == 1),
        holdout=np.flatnonzero(row_part == 2),
        method=method,
        holdout_starts_at=holdout_start,
    )


def _stratified_order(labels: np.ndarray, seed: int) -> np.ndarray:
    """A random order of leads in which every tail holds both labels in proportion.

    Positives and negatives are shuffled separately and interleaved by their rank
    fraction, so any suffix (the holdout, the calibration slice) is stratified.
    """
    rng = np.random.default_rng(seed)
    keys = np.empty(len(labels))
    for value in (False, True):
        members = np.flatnonzero(labels == value)
        keys[members] = (rng.permutation(len(members)) + rng.random(len(members))) / max(
            len(members), 1
        )
    return np.argsort(keys, kind="stable")


@dataclass(frozen=True)
class Candidate:
    """One fitted candidate and what it scored on the holdout."""

    name: str
    model: ExplainableModel
    holdout_probability: np.ndarray
    metrics: ClassificationMetrics
    fit_seconds: float
    # Every hyper-parameter the fit used, as ``<section>.<name>`` (the keys of
    # LeadScoringConfig.as_params), for the candidate's own MLflow run.
    params: dict[str, object] = field(default_factory=dict)


def fit_candidates(
    rows: pd.DataFrame, spec: FeatureSpec, split: Split, config: LeadScoringConfig
) -> list[Candidate]:
    """Fit the logistic baseline and XGBoost on ``split.train``, calibrate both on
    ``split.calibration`` and evaluate both on ``split.holdout``.

    Raises:
        ValueError: the training or calibration rows hold a single class.
    """
    inputs = model_inputs(rows, spec)
    labels = rows[LABEL].to_numpy().astype(np.int64)
    for part in ("train", "calibration"):
        if len(np.unique(labels[getattr(split, part)])) < 2:
            raise ValueError(f"the {part} rows hold only one class; cannot fit a model")
    train_x, train_y = inputs.iloc[split.train], labels[split.train]
    calib_x, calib_y = inputs.iloc[split.calibration], labels[split.calibration]
    holdout_x, holdout_y = inputs.iloc[split.holdout], labels[split.holdout]
    fitters = {
        LOGISTIC: lambda: fit_logistic(train_x, train_y, spec, config.logistic),
        XGBOOST: lambda: fit_xgboost(
            train_x, train_y, spec, config.xgboost, calib_x, calib_y, config.seed
        ),
    }
    params: dict[str, dict[str, object]] = {
        LOGISTIC: {f"logistic.{k}": v for k, v in asdict(config.logistic).items()},
        XGBOOST: {
            **{f"xgboost.{k}": v for k, v in asdict(config.xgboost).items()},
            "seed": config.seed,
        },
    }
    candidates = []
    for name, fit in fitters.items():
        started = time.perf_counter()
        model = fit()
        model.calibrate(calib_x, calib_y)
        seconds = time.perf_counter() - started
        probability = model.predict_proba(holdout_x)
        metrics = classification_metrics(holdout_y, probability)
        log.info(
            "%s: fitted on %s rows in %.1f s; holdout AUC %.4f, ECE %.4f, top-decile lift %.2f",
            name, f"{len(train_y):,}", seconds, metrics.roc_auc,
            metrics.expected_calibration_error, metrics.top_decile_lift,
        )  # fmt: skip
        candidates.append(Candidate(name, model, probability, metrics, seconds, params[name]))
    return candidates


def best_candidate(candidates: list[Candidate]) -> Candidate:
    """The candidate with the lowest holdout log-loss: it rewards ranking and calibration
    at once, where AUC alone would ignore calibration."""
    return min(candidates, key=lambda c: c.metrics.log_loss)


def feature_importance(model: ExplainableModel, inputs: pd.DataFrame) -> pd.Series:
    """Mean absolute exact contribution of each feature to the calibrated log-odds,
    largest first."""
    contributions, _ = model.contributions(inputs)
    return pd.Series(
        np.abs(contributions).mean(axis=0), index=model.spec.columns, name="mean_abs_contribution"
    ).sort_values(ascending=False)


def version_tags(rows, inputs, split, business_date, best, config, trigger) -> dict[str, str]:
    """The provenance and quality tags of the version ``best`` becomes."""
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
        "data_fingerprint": version_fingerprint(rows, inputs),
        "code_version": code_version(),
        "estimator": best.name,
        "trigger": trigger,
        "validation_status": "pending",
        "holdout_auc_all_snapshots": f"{best.metrics.roc_auc:.4f}",
        "holdout_ece": f"{best.metrics.expected_calibration_error:.4f}",
    }


def final_state_window(rows: pd.DataFrame, business_date: date) -> str:
    """The ``training_window`` tag of a version trained on final states."""
    created = pd.to_datetime(rows["created_at"])
    return (
        f"{len(rows):,} leads' final states as of {business_date} "
        f"(created {created.min():%Y-%m-%d} to {created.max():%Y-%m-%d})"
    )


def per_lead_tags(evaluation: PerLeadEvaluation) -> dict[str, str]:
    """The per-lead figures as version tags; ``holdout_auc`` is the headline one, what a
    user sees on new leads (``models list`` and the gate show it)."""
    tags = {"holdout_auc": f"{evaluation.headline_auc:.4f}"}
    for age, metrics in evaluation.points.items():
        tags[f"holdout_auc_at_age_{age}"] = f"{metrics.roc_auc:.4f}"
    if evaluation.scored_population is not None:
        tags["holdout_auc_scored_population"] = f"{evaluation.scored_population.roc_auc:.4f}"
    return tags


def finite(metrics: dict[str, float], prefix: str) -> dict[str, float]:
    """``metrics`` with ``prefix``, leaving out NaN (MLflow's charts cannot plot it)."""
    return {prefix + k: v for k, v in metrics.items() if np.isfinite(v)}


def version_fingerprint(rows: pd.DataFrame, inputs: pd.DataFrame) -> str:
    """What a version is keyed on with its business date: the labelled model inputs."""
    return data_fingerprint(pd.concat([rows[["lead_id", "as_of_date", LABEL]], inputs], axis=1))
