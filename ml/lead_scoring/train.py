"""Fitting both candidates on one split and judging them on the same holdout.

Pure: labelled snapshots in, fitted and evaluated candidates out. The steps module logs
them to MLflow and runs the promotion gate.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from ml.lead_scoring.config import LeadScoringConfig
from ml.lead_scoring.features import LABEL, FeatureSpec, model_inputs
from ml.lead_scoring.split import Split
from ml.metrics import ClassificationMetrics, classification_metrics
from ml.modelling.model import LOGISTIC, XGBOOST, ExplainableModel, fit_logistic, fit_xgboost

log = logging.getLogger(__name__)


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
