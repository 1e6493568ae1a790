"""The MLflow side of a deal-model training that is not the training's own flow: the
gate's comparison with the champion, the drift reference sample, the input example."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from ml import names
from ml.metrics import calibration_noise_floor
from ml.opportunity_scoring.config import OpportunityScoringConfig
from ml.opportunity_scoring.evaluate import HoldoutEvaluation
from ml.opportunity_scoring.features import WON, model_inputs
from ml.opportunity_scoring.train import DealModel
from ml.registry.gate import GateDecision, decide_promotion

log = logging.getLogger(__name__)
MODEL_NAME = names.OPPORTUNITY_SCORING


def gate(
    champion: str | None,
    *,
    holdout: pd.DataFrame,
    judged: HoldoutEvaluation,
    probability: np.ndarray,
    config: OpportunityScoringConfig,
) -> GateDecision:
    """Against the champion on the same holdout snapshots; checks: calibration, the
    minimum AUC, and beating the stage win rates (the fallback it replaces).

    Calibration passes under the limit (or what chance gives a calibrated model on these
    snapshots), or when no worse than the stage win rates' on the same snapshots: a
    refused first model leaves the night to them, and refusing a model for calibration
    only to publish something calibrated worse is no protection (docs/deal-scoring.md,
    "Deals open on a night")."""
    champion_auc = None
    if champion is not None:
        from ml.metrics import classification_metrics
        from ml.opportunity_scoring.steps.score import load_deal_model

        model = load_deal_model(f"models:/{MODEL_NAME}/{champion}")
        try:
            p = model.win.predict_proba(model_inputs(holdout, model.win.spec))
            champion_auc = classification_metrics(holdout[WON].to_numpy(), p).roc_auc
        except KeyError as exc:  # the champion needs columns the mart no longer has
            champion_auc = float("-inf")
            log.warning("deal champion v%s cannot score tonight's data: %s", champion, exc)
    limit = max(
        config.max_calibration_error, calibration_noise_floor(probability, seed=config.seed)
    )
    return decide_promotion(
        metric=f"holdout AUC over {judged.snapshots:,} snapshots of {judged.deals:,} deals",
        challenger=judged.auc, champion=champion_auc, higher_is_better=True,
        margin=config.promotion_margin,
        checks={
            "calibration": (judged.ece <= max(limit, judged.stage_rate_ece),
                            f"expected calibration error {judged.ece:.4f} (limit {limit:.4f}, "
                            f"or the stage win rates' {judged.stage_rate_ece:.4f})"),
            "minimum AUC": (judged.auc >= config.min_auc,
                            f"holdout AUC {judged.auc:.4f} (minimum {config.min_auc})"),
            "stage win rates": (judged.auc > judged.stage_rate_auc,
                                f"holdout AUC {judged.auc:.4f} vs stage win rates "
                                f"{judged.stage_rate_auc:.4f}"),
        },
    )  # fmt: skip


def log_reference(model: DealModel, deals: pd.DataFrame, run_id: str) -> str:
    """The drift reference: tonight's open deals (or the training rows without any) as
    model inputs with the model's win probability, stored in the active run."""
    from ml.monitoring import reference_sample

    inputs = model_inputs(deals, model.win.spec).reset_index(drop=True)
    sample = reference_sample(inputs, model.win.predict_proba(inputs), 5000, 0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reference.parquet"
        sample.to_parquet(path, index=False)
        mlflow.log_artifact(str(path), "reference")
    return f"runs:/{run_id}/reference/reference.parquet"


def synthetic_example(inputs: pd.DataFrame) -> pd.DataFrame:
    """One row that is no deal's: each number's median, each category's commonest value."""
    row = {
        c: (inputs[c].median() if pd.api.types.is_numeric_dtype(inputs[c])
            else (inputs[c].mode().iloc[0] if inputs[c].notna().any() else None))
        for c in inputs.columns
    }  # fmt: skip
    return pd.DataFrame([row]).astype(inputs.dtypes.to_dict(), errors="ignore")


def prefixed(metrics: dict[str, float], prefix: str) -> dict[str, float]:
    return {prefix + k: v for k, v in metrics.items() if np.isfinite(v)}
