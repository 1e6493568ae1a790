"""The train step: ``train_deal_model`` and ``train_deal_model_if_due``.

One training reads the mature snapshots (:mod:`.data`), checks Einstein's minimum, fits
the candidates with the pure :mod:`ml.opportunity_scoring.train`, logs them
(:mod:`.tracking`), registers the best as ``challenger`` and runs the gate (ml.registry's
lifecycle, the same as lead scoring's).
"""

from __future__ import annotations

import logging
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
from ml.opportunity_scoring.config import (
    SWITCHED_OFF,
    OpportunityScoringConfig,
    opportunity_scoring_config,
)
from ml.opportunity_scoring.evaluate import evaluate_holdout, lift_table
from ml.opportunity_scoring.features import WON, deal_spec, model_inputs, sufficiency
from ml.opportunity_scoring.plots import holdout_figures
from ml.opportunity_scoring.pyfunc import ARTIFACT_KEY, pip_requirements
from ml.opportunity_scoring.stage_win_rates import fit_stage_win_rates
from ml.opportunity_scoring.steps.data import read_labelled_rows, read_open_deals
from ml.opportunity_scoring.steps.tracking import (
    gate,
    log_reference,
    prefixed,
    synthetic_example,
)
from ml.opportunity_scoring.train import (
    DealModel,
    best_candidate,
    close_timing,
    fit_slip,
    fit_stage_rates,
    fit_win_candidates,
    holdout_predictions,
    insufficient,
    split_by_creation,
)
from ml.registry.aliases import alias_version
from ml.registry.history import PROMOTIONS, moves_frame
from ml.registry.lifecycle import (
    TrainingOutcome,
    clean_interrupted,
    gate_new_version,
    tag_version,
    training_due,
)
from ml.registry.provenance import code_version, data_fingerprint
from ml.registry.pyfunc import log_joblib_model
from ml.registry.tracking import CHAMPION, configure_mlflow, log_figures, use_experiment
from ml.settings import Settings, load_settings

log = logging.getLogger(__name__)
MODEL_NAME = names.OPPORTUNITY_SCORING
SCORE_HISTORY = "ml.opportunity_score_history"
MODEL_FILE = Path(__file__).parents[1] / "mlflow_model.py"


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


def train_and_gate(
    business_date: date, trigger: str, settings: Settings, config: OpportunityScoringConfig
) -> TrainingOutcome:
    use_experiment(settings, MODEL_NAME)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        rows = read_labelled_rows(con, business_date, config.maturity_days)
        open_deals = read_open_deals(con, business_date)
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
        stage = fit_stage_win_rates(fit_rows, WON, config.pseudo_deals, config.default_win_rate)
        holdout = closed.iloc[split.holdout]
        y = holdout[WON].to_numpy()
        stage_p = stage.probability(holdout)
        judged = {c.name: evaluate_holdout(holdout, y, c.holdout_probability, stage_p)
                  for c in candidates}  # fmt: skip
        for candidate in candidates:
            with mlflow.start_run(run_name=candidate.name, nested=True):
                mlflow.log_params({"estimator": candidate.name, **candidate.params})
                mlflow.log_metrics(prefixed(judged[candidate.name].as_dict(), "holdout_"))
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
        mlflow.log_metrics(prefixed(judged[best.name].as_dict(), "best_holdout_"))
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
            "reference_uri": log_reference(
                model, open_deals if len(open_deals) else closed, run.info.run_id
            ),
        }  # fmt: skip
        example = synthetic_example(inputs)
        output = pd.DataFrame({"win_probability": model.win.predict_proba(example)})
        version = log_joblib_model(
            model, MODEL_FILE, ARTIFACT_KEY, MODEL_NAME,
            signature=infer_signature(example, output), input_example=example,
            pip_requirements=pip_requirements(),
        )  # fmt: skip
        tag_version(client, MODEL_NAME, version, tags)
        decide = partial(gate, holdout=holdout, judged=judged[best.name],
                         probability=best.holdout_probability, config=config)  # fmt: skip
        with duckdb.connect(str(settings.work_warehouse)) as con:
            decision, moves = gate_new_version(
                client, con, model_name=MODEL_NAME, version=version, business_date=business_date,
                trigger=trigger, decide=decide,
            )  # fmt: skip
            write_partition(con, PROMOTIONS, moves_frame(moves))
            write_partition(con, SCORE_HISTORY,
                            holdout_predictions(holdout, best.holdout_probability, business_date,
                                                version),
                            {"training_date": business_date})  # fmt: skip
        mlflow.set_tags({"gate_decision": decision.reason, "registered_version": version})
    verdict = "promoted to champion" if decision.promote else "stays challenger"
    summary = f"{best.name} v{version} {verdict}: {decision.reason}"
    log.info("opportunity scoring %s: %s", business_date, summary)
    return TrainingOutcome(run.info.run_id, version, decision.promote, summary)
