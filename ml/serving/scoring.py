"""Scoring leads online exactly as the nightly batch does.

Features: the nightly's compiled dbt SQL on the request's rows (:mod:`ml.serving.features`).
Probabilities: the steps of :func:`ml.lead_scoring.score.score_with_model`, the batch's
(``model_inputs``, built by :mod:`ml.serving.inputs` and proven equal to the batch's by
``tests/serving/test_inputs.py``; the model's exact contributions, by
:mod:`ml.serving.contributions`, proven bit-identical by ``tests/serving/
test_contributions.py``; their sum and the sigmoid). Factors:
:mod:`ml.serving.factors`, the batch's selection as objects, proven byte-identical to
:func:`ml.modelling.model.factors_json` by ``tests/serving/test_factors.py``. Stale flag:
:func:`ml.lead_scoring.score.stale_leads`. Percentile and grade: against the scores of
the latest night on or before the as-of date in the published warehouse
(:mod:`ml.serving.population`).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ml.lead_scoring.config import LeadScoringConfig
from ml.lead_scoring.score import stale_leads
from ml.serving.champion import ChampionHolder, LoadedChampion
from ml.serving.contributions import contributions as exact_contributions
from ml.serving.factors import factor_documents
from ml.serving.inputs import model_inputs
from ml.serving.population import Population, place
from ml.serving.request_rows import Rows


class NotOpenError(ValueError):
    """A lead of the request is not open as of its date (so the batch would not score it)."""

    def __init__(self, index: int, lead_id: str, reason: str) -> None:
        super().__init__(reason)
        self.index, self.lead_id, self.reason = index, lead_id, reason


@dataclass(frozen=True)
class Scored:
    """One request's answer and what the monitoring table keeps of it."""

    scores: list[dict]
    model_version: str
    inputs: pd.DataFrame  # rows of monitoring.online_lead_inputs, but their `inputs` JSON
    features: pd.DataFrame  # the model's input columns of those rows: the `inputs` JSON


class PopulationCache:
    """Active scores of the latest scored night on or before a date, from the published
    warehouse; read again when the file changes (a new night was published)."""

    def __init__(self, warehouse: Path) -> None:
        self._warehouse = warehouse
        self._lock = threading.Lock()
        self._cache: dict[date, Population] = {}
        self._stamp: float | None = None

    def get(self, as_of: date) -> Population:
        stamp = self._warehouse.stat().st_mtime if self._warehouse.exists() else None
        with self._lock:
            if stamp != self._stamp:
                self._cache.clear()
                self._stamp = stamp
            if as_of not in self._cache:
                self._cache[as_of] = self._read(as_of)
            return self._cache[as_of]

    def _read(self, as_of: date) -> Population:
        empty = Population(np.array([], dtype=object), np.array([], dtype=np.float64))
        if not self._warehouse.exists():
            return empty
        with duckdb.connect(str(self._warehouse), read_only=True) as con:
            try:
                rows = con.execute(
                    """
                    select lead_id, conversion_probability from ml.lead_scores
                    where score_date = (select max(score_date) from ml.lead_scores
                                        where score_date <= ?)
                      and not coalesce(is_stale, false)
                    """,
                    [as_of],
                ).fetchnumpy()
            except duckdb.CatalogException:
                return empty
        return Population(rows["lead_id"].astype(object), rows["conversion_probability"])


class OnlineScorer:
    """Scores request rows with the current champion."""

    def __init__(
        self, holder: ChampionHolder, config: LeadScoringConfig, population: PopulationCache,
        pii_key: str,
    ) -> None:  # fmt: skip
        self.holder = holder
        self.config = config
        self.population = population
        self._pii_key = pii_key

    def score(self, as_of: date, leads: Rows, activities: Rows) -> Scored:
        """Score ``leads`` (raw lead columns, as text; a frame, or columns by name) with their
        ``activities`` as of ``as_of``.

        Raises:
            NotOpenError: a lead has no feature row as of ``as_of`` (not open, created or
                updated after it); nothing is scored.
        """
        champion: LoadedChampion = self.holder.current  # one version for the whole request
        features = champion.features.build(as_of, leads, activities, self._pii_key)
        wanted = list(leads["lead_id"])
        if features["lead_id"].tolist() != wanted:  # in the request's order, all of them
            by_id = features.set_index("lead_id", drop=False)
            for index, lead_id in enumerate(wanted):
                if lead_id not in by_id.index:
                    raise NotOpenError(index, lead_id, _why_not_open(leads, index, as_of))
            features = by_id.loc[wanted].reset_index(drop=True)
        # score_with_model's steps, with the factors built as objects (ml.serving.factors)
        model_in = model_inputs(features, champion.model.spec)
        if len(model_in):
            contributions, bias = exact_contributions(champion.model, model_in)
            margin = contributions.sum(axis=1) + bias
            probability = 1.0 / (1.0 + np.exp(-margin))
            factors = factor_documents(contributions, model_in, champion.model.spec.columns,
                                       self.config.top_factors, margin)  # fmt: skip
        else:
            probability, factors = np.array([]), []
        stale = stale_leads(features, self.config.stale_after_days)
        lead_ids = features["lead_id"].to_numpy(dtype=object)
        percentile, grade = place(
            probability, lead_ids, stale, self.population.get(as_of),
            grade_method=self.config.grade_method, grade_shares=self.config.grade_shares,
            grade_cutoffs=self.config.grade_cutoffs,
        )  # fmt: skip
        probability = np.clip(np.asarray(probability, dtype=np.float64), 0.0, 1.0)
        scored_at = datetime.now(UTC).replace(tzinfo=None)
        scores = [
            {
                "lead_id": str(lead_ids[i]),
                "score_date": as_of.isoformat(),
                "conversion_probability": float(probability[i]),
                "score": int(np.rint(probability[i] * 100)),
                "percentile": None if np.isnan(percentile[i]) else float(percentile[i]),
                "grade": grade[i],
                "top_factors": factors[i],
                "model_name": champion.model_name,
                "model_version": champion.version,
                "scoring_method": "model",
                "is_stale": bool(stale[i]),
                "scored_at": scored_at.isoformat(),
            }
            for i in range(len(lead_ids))
        ]
        request_id = uuid.uuid4().hex
        monitoring_rows = pd.DataFrame(
            {
                "request_id": request_id,
                "received_at": scored_at,
                "as_of_date": as_of,
                "lead_id": lead_ids,
                "model_name": champion.model_name,
                "model_version": champion.version,
                "conversion_probability": probability,
            }
        )
        # the model's input columns, as built; written as JSON by the log's writer thread
        inputs = features[champion.model.spec.columns]
        return Scored(scores, champion.version, monitoring_rows, inputs)


def _why_not_open(leads: Rows, index: int, as_of: date) -> str:
    def value(column: str) -> object:
        return list(leads[column])[index] if column in leads else None

    return (
        f"lead {value('lead_id')!r} is not open as of {as_of.isoformat()} "
        f"(status {value('status')!r}, created_at {value('created_at')!r}, "
        f"updated_at {value('updated_at')!r}): only leads created and last updated on or "
        "before as_of, with status open, working or qualified, are scored"
    )
