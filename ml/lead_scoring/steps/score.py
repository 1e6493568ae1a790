"""The score step: every lead open at the end of the business date gets its
``ml.lead_scores`` row, from ``lead_scoring@champion`` (the documented prior without one).

Reads ``marts.lead_features``, loads the champion from MLflow, calls the pure
:mod:`ml.lead_scoring.score` and writes through the catalog. The business date comes
from the DAG run; nothing here asks the clock what day it is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import numpy as np
import pandas as pd

from ml import names
from ml.catalog import write_partition
from ml.faults import kill_point
from ml.lead_scoring.config import SWITCHED_OFF, LeadScoringConfig, lead_scoring_config
from ml.lead_scoring.model.pyfunc import MOVED_MODULES
from ml.lead_scoring.score import (
    MODEL,
    lead_scores_frame,
    score_with_model,
    score_with_prior,
    stale_leads,
)
from ml.lead_scoring.steps.training_rows import read_labelled_rows
from ml.modelling.model import ExplainableModel, factors_json
from ml.registry.aliases import notice_manual_moves
from ml.registry.history import PROMOTIONS, moves_frame
from ml.registry.lifecycle import champion_for
from ml.registry.pyfunc import load_fitted
from ml.registry.tracking import configure_mlflow
from ml.settings import Settings, load_settings
from ml.warehouse import runs as monitoring

log = logging.getLogger(__name__)

MODEL_NAME = names.LEAD_SCORING
SKIPPED = "skipped"


def read_open_leads(con: duckdb.DuckDBPyConnection, business_date: date) -> pd.DataFrame:
    """The ``lead_features`` rows of ``business_date``: every lead open at its end."""
    return con.execute(
        "select * from marts.lead_features where as_of_date = ? order by lead_id", [business_date]
    ).df()


@dataclass(frozen=True)
class ScoringOutcome:
    rows: int
    model_name: str
    model_version: str
    scoring_method: str


def score_open_leads(business_date: date, settings: Settings | None = None) -> ScoringOutcome:
    """Score every lead open at the end of ``business_date`` with ``lead_scoring@champion``
    (the documented prior without one) and replace that date in ``ml.lead_scores``.

    Raises:
        ml.quality.outcomes.SuiteFailedError: the scores break expectations/ml/lead_scores.yml;
            nothing is written.
    """
    settings = settings or load_settings()
    config = lead_scoring_config(settings)
    if not config.enabled:
        log.warning("lead scoring skipped for %s: %s", business_date, SWITCHED_OFF)
        with duckdb.connect(str(settings.work_warehouse)) as con:
            monitoring.record_stage(
                con, business_date, monitoring.LEAD_SCORING_STAGE, datetime.now(UTC),
                skipped=SWITCHED_OFF,
            )  # fmt: skip
        return ScoringOutcome(0, "", "", SKIPPED)
    configure_mlflow(settings)
    import mlflow

    client = mlflow.MlflowClient()
    with duckdb.connect(str(settings.work_warehouse)) as con:
        champion, moves = notice_manual_moves(client, con, MODEL_NAME, business_date)
        write_partition(con, PROMOTIONS, moves_frame(moves))
        # a backfill behind the live champion scores with the champion as of its date
        champion = champion_for(client, MODEL_NAME, business_date, champion)
        leads = read_open_leads(con, business_date)
        if champion is None:
            labelled, _ = read_labelled_rows(con, settings.landing, business_date, config)
    log.info("scoring %s open leads as of %s", f"{len(leads):,}", business_date)
    if champion is not None:
        probability, long, name, version, method = _score_with_champion(leads, champion, config)
    else:
        probability, long, name, version, method = score_with_prior(
            leads, labelled, business_date, config
        )
    scores = lead_scores_frame(
        leads["lead_id"],
        probability,
        factors_json(long, len(leads)),
        score_date=business_date,
        model_name=name,
        model_version=version,
        scoring_method=method,
        scored_at=datetime.now(UTC),
        grade_cutoffs=config.grade_cutoffs,
        stale=stale_leads(leads, config.stale_after_days),
        grade_method=config.grade_method,
        grade_shares=config.grade_shares,
    )
    kill_point("lead_scoring:scoring")
    with duckdb.connect(str(settings.work_warehouse)) as con:
        # validated with expectations/ml/lead_scores.yml, the date replaced in one transaction
        write_partition(con, "ml.lead_scores", scores, {"score_date": business_date})
        # The night's lead-scoring stage is done: the night may publish once all are.
        monitoring.record_stage(
            con, business_date, monitoring.LEAD_SCORING_STAGE, datetime.now(UTC)
        )
    log.info("wrote %s scores for %s from %s v%s", f"{len(scores):,}", business_date, name, version)
    return ScoringOutcome(len(scores), name, version, method)


def load_lead_model(model_uri: str) -> ExplainableModel:
    """A registered lead model (``models:/lead_scoring/3``) back as the fitted model, with
    its exact contributions (MLflow's generic ``predict`` gives only the probability).
    Versions registered before a module moved load too (``MOVED_MODULES``)."""
    return load_fitted(model_uri, MOVED_MODULES)


def _score_with_champion(
    leads: pd.DataFrame, version: str, config: LeadScoringConfig
) -> tuple[np.ndarray, pd.DataFrame, str, str, str]:
    # Load the version the alias resolved to, not the alias again: a hand move between
    # the two would otherwise write one version's number on another's scores.
    model = load_lead_model(f"models:/{MODEL_NAME}/{version}")
    probability, long = score_with_model(model, leads, config.top_factors)
    return probability, long, MODEL_NAME, version, MODEL
