"""The score step: ``score_open_deals`` replaces a date of ``ml.opportunity_scores`` with
the champion's scores, or the stage win rates without one (pure parts:
:mod:`ml.opportunity_scoring.score`, :mod:`ml.opportunity_scoring.train`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import numpy as np
import pandas as pd

from ml import names
from ml.catalog import write_partition
from ml.opportunity_scoring.config import (
    SWITCHED_OFF,
    OpportunityScoringConfig,
    opportunity_scoring_config,
)
from ml.opportunity_scoring.features import SLIPPED, WON, sufficiency
from ml.opportunity_scoring.score import (
    MODEL,
    STAGE_WIN_RATE,
    expected_close_period,
    opportunity_scores_frame,
    score_with_model,
    stage_rate_factors,
    with_overdue_slipped,
)
from ml.opportunity_scoring.steps.data import read_labelled_rows, read_open_deals
from ml.opportunity_scoring.train import DealModel, close_timing, fit_stage_rates, insufficient
from ml.registry.aliases import notice_manual_moves
from ml.registry.history import PROMOTIONS, moves_frame
from ml.registry.lifecycle import champion_for
from ml.registry.pyfunc import load_fitted
from ml.registry.tracking import configure_mlflow
from ml.settings import Settings, load_settings
from ml.warehouse import runs as monitoring

log = logging.getLogger(__name__)

MODEL_NAME = names.OPPORTUNITY_SCORING
STAGE_RATES_MODEL = "stage_win_rates"
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
        win, factors, slip = score_with_model(model, deals, config.top_factors)
        timing, name, version, method = model.timing, MODEL_NAME, champion, MODEL
    else:
        win, factors, slip, timing, version = _stage_rate_scores(
            deals, labelled, business_date, config
        )
        name, method = STAGE_RATES_MODEL, STAGE_WIN_RATE
    slip = with_overdue_slipped(deals, slip, business_date)
    scores = opportunity_scores_frame(
        deals, win, slip, factors, expected_close_period(deals, slip, timing, business_date),
        score_date=business_date, model_name=name, model_version=version,
        scoring_method=method, scored_at=datetime.now(UTC),
    )  # fmt: skip
    with duckdb.connect(str(settings.work_warehouse)) as con:
        write_partition(con, SCORES, scores, {"score_date": business_date})
        monitoring.record_stage(con, business_date, stage, datetime.now(UTC))
    log.info("wrote %s deal scores for %s from %s v%s (%s)", f"{len(scores):,}", business_date,
             name, version, method)  # fmt: skip
    return ScoringOutcome(len(scores), name, version, method)


def _stage_rate_scores(
    deals: pd.DataFrame,
    labelled: pd.DataFrame,
    business_date: date,
    config: OpportunityScoringConfig,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, float], str]:
    won, lost = sufficiency(labelled)
    why = insufficient(won, lost, config) or "no champion yet; scoring with stage win rates"
    log.warning("opportunity scoring %s: %s", business_date, why)
    rates = fit_stage_rates(labelled, WON, config.pseudo_deals, config.default_win_rate)
    slip = fit_stage_rates(labelled, SLIPPED, config.pseudo_deals, 0.5)
    timing = close_timing(labelled, labelled["closed_on"])
    return (
        rates.probability(deals["stage"]),
        stage_rate_factors(deals["stage"], rates),
        slip.probability(deals["stage"]),
        timing,
        f"{business_date.isoformat()}-{won + lost}deals",
    )
