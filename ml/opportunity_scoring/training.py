"""One training of the deal model: read the mature snapshots, check Einstein's minimum,
fit and log the candidates, register the best as ``challenger`` and run the gate
(ml.registry's lifecycle, the same as lead scoring's)."""

from __future__ import annotations

import logging
import tempfile
from datetime import date
from functools import partial
from pathlib import Path

import duckdb
import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature

from ml import names
from ml.catalog import write_partition
from ml.metrics import calibration_noise_floor
from ml.opportunity_scoring import data
from ml.opportunity_scoring.config import OpportunityScoringConfig
from ml.opportunity_scoring.evaluate import HoldoutEvaluation, evaluate_holdout, lift_table
from ml.opportunity_scoring.features import WON, deal_spec, model_inputs, sufficiency
from ml.opportunity_scoring.plots import holdout_figures
from ml.opportunity_scoring.pyfunc import ARTIFACT_KEY, pip_requirements
from ml.opportunity_scoring.train import (
    DealModel,
    best_candidate,
    close_timing,
    fit_slip,
    fit_stage_rates,
    fit_win_candidates,
    split_by_creation,
)
from ml.registry.gate import GateDecision, decide_promotion
from ml.registry.history import PROMOTIONS, moves_frame
from ml.registry.lifecycle import TrainingOutcome, clean_interrupted, gate_new_version, tag_version
from ml.registry.provenance import code_version, data_fingerprint
from ml.registry.pyfunc import log_joblib_model
from ml.registry.tracking import log_figures, use_experiment
from ml.settings import Settings

log = logging.getLogger(__name__)
MODEL_NAME = names.OPPORTUNITY_SCORING


def insufficient(won: int, lost: int, config: OpportunityScoringConfig) -> str | None:
    """Why there is too little data for a model (Einstein's minimum), or None."""
    if won >= config.min_won_deals and lost >= config.min_lost_deals:
        return None
    return (
        f"insufficient data: {won} won and {lost} lost mature deals "
        f"({config.min_won_deals} won and {config.min_lost_deals} lost needed); "
        "scoring with stage win rates"
    )


def train_and_gate(
    business_date: date, trigger: str, settings: Settings, config: OpportunityScoringConfig
) -> TrainingOutcome:
    use_experiment(settings, MODEL_NAME)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        rows = data.read_labelled_rows(con, business_date, config.maturity_days)
        open_deals = data.read_open_deals(con, business_date)
    won, lost = sufficiency(rows)
    client = mlflow.MlflowClient()
    clean_interrupted(client, MODEL_NAME)
    with mlflow.start_run(run_name=f"train {business_date} ({trigger})") as run:
        mlflow.set_tags({"salespipe_kind": "training", "trigger": trigger})
        mlflow.log_params({"business_date": business_date.isoformat(), **config.as_params()})
        mlflow.log_metrics({"won_deals": won, "lost_deals": lost, "rows": len(rows)})
        reason = insufficient(won, lost, config)
        if reason:
            mlflow.set_tag("validation_status", "insufficient_data")
            log.warning("opportunity scoring %s: %s", business_date, reason)
            return TrainingOutcome(run.info.run_id, None, False, reason)
        closed = rows.dropna(subset=[WON]).reset_index(drop=True)
        spec = deal_spec(closed)
        split = split_by_creation(closed, config.holdout_fraction, config.calibration_fraction)
        candidates = fit_win_candidates(closed, spec, split, config)
        fit_rows = closed.iloc[np.concatenate([split.train, split.calibration])]
        stage = fit_stage_rates(fit_rows, WON, config.pseudo_deals, config.default_win_rate)
        holdout = closed.iloc[split.holdout]
        y = holdout[WON].to_numpy()
        stage_p = stage.probability(holdout["stage"])
        judged = {c.name: evaluate_holdout(holdout, y, c.holdout_probability, stage_p)
                  for c in candidates}  # fmt: skip
        for candidate in candidates:
            with mlflow.start_run(run_name=candidate.name, nested=True):
                mlflow.log_params({"estimator": candidate.name, **candidate.params})
                mlflow.log_metrics(_prefixed(judged[candidate.name].as_dict(), "holdout_"))
                mlflow.log_text(lift_table(y, candidate.holdout_probability).to_csv(index=False),
                                "lift_table.csv")  # fmt: skip
                log_figures(
                    holdout_figures(y, candidate.holdout_probability, stage_p, candidate.name)
                )
        best = best_candidate(candidates)
        model = DealModel(
            win=best.model,
            slip=fit_slip(rows, spec, config),
            slip_rates=fit_stage_rates(rows, "slipped", config.pseudo_deals, 0.5),
            timing=close_timing(rows, rows["closed_on"]),
        )
        mlflow.log_metrics(_prefixed(judged[best.name].as_dict(), "best_holdout_"))
        inputs = model_inputs(closed, spec)
        fingerprint = data_fingerprint(
            pd.concat([closed[["opportunity_id", "as_of_date", WON]], inputs], axis=1)
        )
        tags = {
            "business_date": business_date.isoformat(), "estimator": best.name,
            "trigger": trigger, "validation_status": "pending", "code_version": code_version(),
            "data_fingerprint": fingerprint, "holdout_starts_at": str(split.holdout_starts_at),
            "holdout_auc": f"{judged[best.name].auc:.4f}",
            "holdout_ece": f"{judged[best.name].ece:.4f}",
            "holdout_stage_rate_auc": f"{judged[best.name].stage_rate_auc:.4f}",
            "training_window": f"deals created before {business_date} minus "
            f"{config.maturity_days} days, closed by {business_date}",
            "reference_uri": _log_reference(
                model, open_deals if len(open_deals) else closed, run.info.run_id
            ),
        }  # fmt: skip
        example = _synthetic_example(inputs)
        output = pd.DataFrame({"win_probability": model.win.predict_proba(example)})
        version = log_joblib_model(
            model, Path(__file__).with_name("mlflow_model.py"), ARTIFACT_KEY, MODEL_NAME,
            signature=infer_signature(example, output), input_example=example,
            pip_requirements=pip_requirements(),
        )  # fmt: skip
        tag_version(client, MODEL_NAME, version, tags)
        decide = partial(_gate, holdout=holdout, judged=judged[best.name],
                         probability=best.holdout_probability, config=config)  # fmt: skip
        with duckdb.connect(str(settings.work_warehouse)) as con:
            decision, moves = gate_new_version(
                client, con, model_name=MODEL_NAME, version=version, business_date=business_date,
                trigger=trigger, decide=decide,
            )  # fmt: skip
            write_partition(con, PROMOTIONS, moves_frame(moves))
        mlflow.set_tags({"gate_decision": decision.reason, "registered_version": version})
    verdict = "promoted to champion" if decision.promote else "stays challenger"
    summary = f"{best.name} v{version} {verdict}: {decision.reason}"
    log.info("opportunity scoring %s: %s", business_date, summary)
    return TrainingOutcome(run.info.run_id, version, decision.promote, summary)


def _gate(
    champion: str | None,
    *,
    holdout: pd.DataFrame,
    judged: HoldoutEvaluation,
    probability: np.ndarray,
    config: OpportunityScoringConfig,
) -> GateDecision:
    """Against the champion on the same holdout snapshots; checks: calibration, the
    minimum AUC, and beating the stage win rates (the fallback it replaces)."""
    champion_auc = None
    if champion is not None:
        from ml.metrics import classification_metrics
        from ml.opportunity_scoring.pyfunc import load_deal_model

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
            "calibration": (judged.ece <= limit,
                            f"expected calibration error {judged.ece:.4f} (limit {limit:.4f})"),
            "minimum AUC": (judged.auc >= config.min_auc,
                            f"holdout AUC {judged.auc:.4f} (minimum {config.min_auc})"),
            "stage win rates": (judged.auc > judged.stage_rate_auc,
                                f"holdout AUC {judged.auc:.4f} vs stage win rates "
                                f"{judged.stage_rate_auc:.4f}"),
        },
    )  # fmt: skip


def _log_reference(model: DealModel, deals: pd.DataFrame, run_id: str) -> str:
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


def _synthetic_example(inputs: pd.DataFrame) -> pd.DataFrame:
    """One row that is no deal's: each number's median, each category's commonest value."""
    row = {
        c: (inputs[c].median() if pd.api.types.is_numeric_dtype(inputs[c])
            else (inputs[c].mode().iloc[0] if inputs[c].notna().any() else None))
        for c in inputs.columns
    }  # fmt: skip
    return pd.DataFrame([row]).astype(inputs.dtypes.to_dict(), errors="ignore")


def _prefixed(metrics: dict[str, float], prefix: str) -> dict[str, float]:
    return {prefix + k: v for k, v in metrics.items() if np.isfinite(v)}
