"""One night's monitoring of a champion, for any classification use case: tonight's
data and prediction drift against the champion's reference sample, the retraining
verdict, and the ``monitoring.drift_runs`` row that records it.

A use case's ``monitor`` stage computes its own realised performance (its labels are its
own) and passes the history here; its ``monitor`` step reads and writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ml.monitoring.config import DriftConfig
from ml.monitoring.data_drift import DriftResult, measure_data_drift
from ml.monitoring.prediction_drift import measure_prediction_drift
from ml.monitoring.reference import PREDICTION
from ml.monitoring.trigger import RetrainDecision, decide_retraining


@dataclass(frozen=True)
class NightAssessment:
    """Tonight's drift of the champion, and what it asks for."""

    data: DriftResult
    prediction: DriftResult
    decision: RetrainDecision
    realised: pd.Series | None  # the latest matured score date's performance row

    @property
    def drift_rows(self) -> pd.DataFrame:
        """One row per feature and one for the predictions (``monitoring.drift``)."""
        return pd.concat([self.data.rows, self.prediction.rows], ignore_index=True)

    @property
    def summary(self) -> str:
        """The report's one line: what drifted, the prediction drift and the verdict."""
        data, prediction = self.data, self.prediction
        drifted = list(data.rows.loc[data.rows["drifted"], "feature"])
        named = f" ({', '.join(drifted)})" if drifted else ""
        psi = float(prediction.rows["drift_score"].iloc[0])
        return (
            f"{len(drifted)} of {len(data.rows)} features drifted{named}; prediction drift "
            f"{psi:.3f} ({'drifted' if prediction.drifted else 'within threshold'}). "
            f"Verdict: {self.decision.summary}"
        )


def assess_night(
    reference: pd.DataFrame,
    inputs: pd.DataFrame,
    tonight: pd.Series,
    *,
    features: Sequence[str],
    numeric: Collection[str],
    performance: pd.DataFrame,
    promotion: float | None,
    last_retrained: dt.date | None,
    business_date: dt.date,
    config: DriftConfig,
) -> NightAssessment:
    """Compare tonight with the champion's reference and decide whether to retrain.

    Takes the reference sample (features plus ``prediction``), tonight's model inputs
    and tonight's probabilities, the model's feature columns (``numeric``: those compared
    as numbers), the realised performance history (its last row is the latest judged
    score date, with ``roc_auc``), the champion's holdout AUC, the last run date that
    requested a retraining, and the thresholds.

    Raises:
        ValueError: as :func:`ml.monitoring.measure_data_drift` and
            :func:`ml.monitoring.decide_retraining`.
    """
    data = measure_data_drift(
        reference.drop(columns=PREDICTION), inputs, features, config, numeric=numeric
    )
    prediction = measure_prediction_drift(reference[PREDICTION], tonight, config)
    realised = performance.iloc[-1] if not performance.empty else None
    decision = decide_retraining(
        share_drifted=data.share_drifted,
        prediction_drifted=prediction.drifted,
        realised_auc=None if realised is None else float(realised["roc_auc"]),
        promotion_auc=promotion,
        last_retrained=last_retrained,
        run_date=business_date,
        config=config,
        drifted_features=list(data.rows.loc[data.rows["drifted"], "feature"]),
    )
    return NightAssessment(data, prediction, decision, realised)


def run_row(
    night: NightAssessment, promotion: float | None, report: Path, config: DriftConfig
) -> dict[str, Any]:
    """The ``monitoring.drift_runs`` columns a compared night fills in."""
    data, prediction, decision, realised = (
        night.data,
        night.prediction,
        night.decision,
        night.realised,
    )
    return {
        "features": len(data.rows),
        "drifted_features": int(data.rows["drifted"].sum()),
        "share_drifted": data.share_drifted,
        "share_threshold": config.share_drifted_features,
        "prediction_drift_score": float(prediction.rows["drift_score"].iloc[0]),
        "prediction_drifted": prediction.drifted,
        "realised_auc": None if realised is None else float(realised["roc_auc"]),
        "realised_score_date": None if realised is None else realised["score_date"],
        "promotion_auc": promotion,
        "alerts": "; ".join(decision.alerts) or None,
        "retraining_requested": decision.retrain,
        "suppressed_by_cooldown": decision.suppressed_by_cooldown,
        "report_path": str(report),
    }


def with_versions(
    realised: pd.DataFrame,
    scores: pd.DataFrame,
    *,
    model_name: str,
    evaluated_on: dt.date,
    label_window_days: int,
) -> pd.DataFrame:
    """``monitoring.model_performance`` rows: realised performance per ``score_date``
    with the version(s) that issued that date's ``scores`` (comma-separated, sorted)."""
    versions = scores.groupby("score_date")["model_version"].agg(lambda v: ",".join(sorted(set(v))))
    return realised.assign(
        model_name=model_name,
        model_version=realised["score_date"].map(versions),
        evaluated_on=evaluated_on,
        label_window_days=label_window_days,
    )
