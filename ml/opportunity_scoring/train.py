"""Fitting the deal models on one time-ordered split. Pure: labelled snapshots in,
fitted models out; ``steps`` logs them to MLflow and runs the gate.

- **Win probability**: the logistic baseline and XGBoost (:mod:`ml.modelling.model`),
  both Platt-calibrated on the calibration slice, and their blend
  (:mod:`ml.opportunity_scoring.blend`: the average of their calibrated log-odds,
  Platt-scaled again); the one with the lowest holdout log-loss is the candidate. The
  stage win rates are fitted on the same rows as the reference the gate makes it beat.
- **Slip risk**: a calibrated logistic regression on the same features, label
  ``slipped`` (not closed by the then-current close date).
- **Expected close**: per stage, the median days from a snapshot to the deal's close,
  over the mature deals that closed (the timing table).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from ml.metrics import ClassificationMetrics, classification_metrics
from ml.modelling.features import FeatureSpec
from ml.modelling.fit import fit_logistic, fit_xgboost
from ml.modelling.model import LOGISTIC, XGBOOST, ExplainableModel
from ml.opportunity_scoring.blend import BLEND, BlendedModel, fit_blend
from ml.opportunity_scoring.config import OpportunityScoringConfig
from ml.opportunity_scoring.features import SLIPPED, WON, model_inputs

STAGE_WIN_RATE = "stage_win_rate"


@dataclass(frozen=True)
class Split:
    """Row positions of each part; whole deals, ordered by creation (holdout = newest)."""

    train: np.ndarray
    calibration: np.ndarray
    holdout: np.ndarray
    holdout_starts_at: pd.Timestamp


def split_by_creation(
    rows: pd.DataFrame, holdout_fraction: float, calibration_fraction: float
) -> Split:
    """The newest ``holdout_fraction`` of deals by creation hold out, the newest
    ``calibration_fraction`` of the rest calibrate, the rest train; a deal's snapshots
    stay together.

    Raises:
        ValueError: fewer than 3 deals.
    """
    first = rows.drop_duplicates("opportunity_id")
    order = first.sort_values(["created_at", "opportunity_id"], kind="stable")["opportunity_id"]
    n = len(order)
    if n < 3:
        raise ValueError(f"a split needs at least 3 deals, got {n}")
    n_holdout = max(1, round(n * holdout_fraction))
    n_calibration = max(1, round((n - n_holdout) * calibration_fraction))
    part = pd.Series(0, index=order.to_numpy())
    part.iloc[n - n_holdout - n_calibration : n - n_holdout] = 1
    part.iloc[n - n_holdout :] = 2
    row_part = rows["opportunity_id"].map(part).to_numpy()
    starts = pd.Timestamp(
        first.set_index("opportunity_id").loc[order.iloc[n - n_holdout], "created_at"]
    )
    train, calibration, holdout = (np.flatnonzero(row_part == k) for k in range(3))
    return Split(train, calibration, holdout, holdout_starts_at=starts)


@dataclass(frozen=True)
class StageRates:
    """Smoothed rates per stage (each deal counted once per stage it was seen in)."""

    rates: dict[str, float]
    overall: float
    deals: int

    def probability(self, stages: pd.Series) -> np.ndarray:
        return stages.map(self.rates).fillna(self.overall).to_numpy(dtype=float)


def fit_stage_rates(rows: pd.DataFrame, label: str, pseudo: int, default: float) -> StageRates:
    """Each stage's rate of ``label`` over the deals seen in it, shrunk towards the overall
    rate with ``pseudo`` pseudo-deals; ``default`` overall when no row is labelled."""
    labelled = rows.dropna(subset=[label]).drop_duplicates(["opportunity_id", "stage"])
    if labelled.empty:
        return StageRates({}, default, 0)
    overall = float(labelled[label].mean())
    grouped = labelled.groupby("stage")[label].agg(["sum", "count"])
    rates = (grouped["sum"] + pseudo * overall) / (grouped["count"] + pseudo)
    return StageRates(
        {str(k): float(v) for k, v in rates.items()}, overall, labelled["opportunity_id"].nunique()
    )


def close_timing(rows: pd.DataFrame, closed_on: pd.Series) -> dict[str, float]:
    """Per stage, the median days from a snapshot's as-of date to its deal's close, over
    snapshots of deals that closed; ``"*"`` holds the median over all stages."""
    days = (pd.to_datetime(closed_on) - pd.to_datetime(rows["as_of_date"])).dt.days
    frame = pd.DataFrame({"stage": rows["stage"].to_numpy(), "days": days.to_numpy()}).dropna()
    if frame.empty:
        return {"*": 30.0}
    medians = frame.groupby("stage")["days"].median()
    return {"*": float(frame["days"].median()), **{str(k): float(v) for k, v in medians.items()}}


@dataclass
class DealModel:
    """What a registered version holds: the win model, the slip model, the timing."""

    win: ExplainableModel | BlendedModel
    slip: ExplainableModel | None
    slip_rates: StageRates
    timing: dict[str, float]

    @property
    def spec(self) -> FeatureSpec:
        return self.win.spec


@dataclass(frozen=True)
class Candidate:
    name: str
    model: ExplainableModel | BlendedModel
    holdout_probability: np.ndarray
    metrics: ClassificationMetrics
    fit_seconds: float
    params: dict[str, object] = field(default_factory=dict)


def fit_win_candidates(
    rows: pd.DataFrame, spec: FeatureSpec, split: Split, config: OpportunityScoringConfig
) -> list[Candidate]:
    """Fit the logistic baseline and XGBoost on ``split.train`` (rows with a ``won``
    label only), calibrate both on ``split.calibration``, blend them (calibrated on the
    same slice), judge all three on ``split.holdout``.

    Raises:
        ValueError: the training or calibration deals hold a single outcome.
    """
    inputs, labels = model_inputs(rows, spec), rows[WON].to_numpy()
    for part in ("train", "calibration"):
        if len(np.unique(labels[getattr(split, part)])) < 2:
            raise ValueError(f"the {part} deals hold only one outcome; cannot fit a model")
    y = labels.astype(np.int64)
    train_x, calib_x = inputs.iloc[split.train], inputs.iloc[split.calibration]
    fitters = {
        LOGISTIC: (
            lambda: fit_logistic(train_x, y[split.train], spec, config.logistic),
            {f"logistic.{k}": v for k, v in asdict(config.logistic).items()},
        ),
        XGBOOST: (
            lambda: fit_xgboost(train_x, y[split.train], spec, config.xgboost, calib_x,
                                y[split.calibration], config.seed),
            {f"xgboost.{k}": v for k, v in asdict(config.xgboost).items()},
        ),
    }  # fmt: skip
    candidates, members = [], {}
    for name, (fit, params) in fitters.items():
        started = time.perf_counter()
        model = members[name] = fit()
        model.calibrate(calib_x, y[split.calibration])
        seconds = time.perf_counter() - started
        probability = model.predict_proba(inputs.iloc[split.holdout])
        metrics = classification_metrics(y[split.holdout], probability)
        candidates.append(Candidate(name, model, probability, metrics, seconds, params))
    started = time.perf_counter()
    blend = fit_blend(members[LOGISTIC], members[XGBOOST], calib_x, y[split.calibration])
    seconds = sum(c.fit_seconds for c in candidates) + time.perf_counter() - started
    probability = blend.predict_proba(inputs.iloc[split.holdout])
    metrics = classification_metrics(y[split.holdout], probability)
    params = {**candidates[0].params, **candidates[1].params,
              "blend.logistic_weight": blend.weight}  # fmt: skip
    candidates.append(Candidate(BLEND, blend, probability, metrics, seconds, params))
    return candidates


def best_candidate(candidates: list[Candidate]) -> Candidate:
    """The lowest holdout log-loss: ranking and calibration at once."""
    return min(candidates, key=lambda c: c.metrics.log_loss)


def fit_slip(
    rows: pd.DataFrame, spec: FeatureSpec, config: OpportunityScoringConfig
) -> ExplainableModel | None:
    """A calibrated logistic regression of ``slipped`` on the deal features: the newest
    ``calibration_fraction`` of labelled deals calibrate, the rest fit. None when either
    part holds a single outcome."""
    labelled = rows.dropna(subset=[SLIPPED]).reset_index(drop=True)
    if labelled["opportunity_id"].nunique() < 3:
        return None
    # the newest calibration_fraction of deals calibrate ("holdout" of this split); the
    # split's own calibration part is a single deal, fitted with the rest
    split = split_by_creation(labelled, config.calibration_fraction, 1e-9)
    fit_at = np.concatenate([split.train, split.calibration])
    y = labelled[SLIPPED].to_numpy().astype(np.int64)
    if len(np.unique(y[fit_at])) < 2 or len(np.unique(y[split.holdout])) < 2:
        return None
    inputs = model_inputs(labelled, spec)
    model = fit_logistic(inputs.iloc[fit_at], y[fit_at], spec, config.logistic)
    model.calibrate(inputs.iloc[split.holdout], y[split.holdout])
    return model


def insufficient(won: int, lost: int, config: OpportunityScoringConfig) -> str | None:
    """Why there is too little data for a model (Einstein's minimum), or None."""
    if won >= config.min_won_deals and lost >= config.min_lost_deals:
        return None
    return (
        f"insufficient data: {won} won and {lost} lost mature deals "
        f"({config.min_won_deals} won and {config.min_lost_deals} lost needed); "
        "scoring with stage win rates"
    )


def holdout_predictions(
    holdout: pd.DataFrame, probability: np.ndarray, training_date: date, version: str
) -> pd.DataFrame:
    """The ``ml.opportunity_score_history`` rows of one training: each holdout snapshot's
    out-of-sample win probability (the model never fitted nor calibrated on its deal).

    Raises:
        ValueError: ``probability`` does not have one value per holdout snapshot.
    """
    if len(probability) != len(holdout):
        raise ValueError(f"{len(probability)} probabilities for {len(holdout)} holdout snapshots")
    return pd.DataFrame(
        {
            "training_date": training_date,
            "model_version": str(version),
            "opportunity_id": holdout["opportunity_id"].to_numpy(),
            "as_of_date": pd.to_datetime(holdout["as_of_date"]).dt.date.to_numpy(),
            "win_probability": np.asarray(probability, dtype=float),
        }
    )
