"""The score step: ``score_open_deals`` replaces a date of ``ml.opportunity_scores`` with
the champion's scores, or the stage win rates without one (pure parts:
:mod:`ml.opportunity_scoring.score`, :mod:`ml.opportunity_scoring.train`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb

from ml import names
from ml.catalog import write_partition
from ml.opportunity_scoring.config import (
    SWITCHED_OFF,
    opportunity_scoring_config,
)
from ml.opportunity_scoring.features import sufficiency
from ml.opportunity_scoring.score import (
    MODEL,
    STAGE_RATES_MODEL,
    STAGE_WIN_RATE,
    deal_scores,
    fit_stage_fallback,
)
from ml.opportunity_scoring.steps.data import read_labelled_rows, read_open_deals
from ml.opportunity_scoring.train import DealModel, insufficient
from ml.registry.aliases import notice_manual_moves
from ml.registry.history import PROMOTIONS, moves_frame
from ml.registry.lifecycle import champion_for
from ml.registry.pyfunc import load_fitted
from ml.registry.tracking import configure_mlflow
from ml.settings import Settings, load_settings
from ml.warehouse import runs as monitoring

log = logging.getLogger(__name__)

MODEL_NAME = names.OPPORTUNITY_SCORING
SCORES = "ml.opportunity_scores"


@dataclass(frozen=True)
class ScoringOutcome:
    rows: int
    model_name: str
    model_version: str
    scoring_method: str


def load_deal_model(model_uri: str) -> DealModel:
    """A registered deal model (``models:/opportunity_scoring/3``) back as the fitted
    :class:`~ml.opportunity_scoring.train.DealModel`, with its exact contributions (MLflow's
    generic ``predict`` gives only the probabilities)."""
    return load_fitted(model_uri)


def score_open_deals(business_date: date, settings: Settings | None = None) -> ScoringOutcome:
    """Score every deal open at the end of ``business_date`` with
    ``opportunity_scoring@champion`` (stage win rates without one) and replace that date
    in ``ml.opportunity_scores``; then record the night's deal-scoring stage.

    Raises:
        ml.quality.outcomes.SuiteFailedError: the scores break
            expectations/ml/opportunity_scores.yml; nothing is written.
    """
    settings = settings or load_settings()
    config = opportunity_scoring_config(settings)
    stage = monitoring.OPPORTUNITY_SCORING_STAGE
    if not config.enabled:
        with duckdb.connect(str(settings.work_warehouse)) as con:
            monitoring.record_stage(con, business_date, stage, datetime.now(UTC),
                                    skipped=SWITCHED_OFF)  # fmt: skip
        return ScoringOutcome(0, "", "", "skipped")
    configure_mlflow(settings)
    import mlflow

    client = mlflow.MlflowClient()
    with duckdb.connect(str(settings.work_warehouse)) as con:
        champion, moves = notice_manual_moves(client, con, MODEL_NAME, business_date)
        write_partition(con, PROMOTIONS, moves_frame(moves))
        champion = champion_for(client, MODEL_NAME, business_date, champion)
        deals = read_open_deals(con, business_date)
        labelled = (
            None if champion else read_labelled_rows(con, business_date, config.maturity_days)
        )
    if champion is not None:
        model = load_deal_model(f"models:/{MODEL_NAME}/{champion}")
        scores = deal_scores(
            deals, business_date, datetime.now(UTC),
            top_factors=config.top_factors, champion=(champion, model),
        )  # fmt: skip
        name, version, method = MODEL_NAME, champion, MODEL
    else:
        won, lost = sufficiency(labelled)
        why = insufficient(won, lost, config) or "no champion yet; scoring with stage win rates"
        log.warning("opportunity scoring %s: %s", business_date, why)
        fallback = fit_stage_fallback(
            labelled, business_date, config.pseudo_deals, config.default_win_rate
        )
        scores = deal_scores(
            deals, business_date, datetime.now(UTC),
            top_factors=config.top_factors, fallback=fallback,
        )  # fmt: skip
        name, version, method = STAGE_RATES_MODEL, fallback.version, STAGE_WIN_RATE
    with duckdb.connect(str(settings.work_warehouse)) as con:
        write_partition(con, SCORES, scores, {"score_date": business_date})
        monitoring.record_stage(con, business_date, stage, datetime.now(UTC))
    log.info("wrote %s deal scores for %s from %s v%s (%s)", f"{len(scores):,}", business_date,
             name, version, method)  # fmt: skip
    return ScoringOutcome(len(scores), name, version, method)
