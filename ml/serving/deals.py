"""Scoring open deals online exactly as the nightly batch does
(:func:`ml.opportunity_scoring.steps.score_open_deals`).

Features: ``marts.opportunity_features``' own compiled dbt SQL (:mod:`ml.serving.features`)
over the published deal history (:mod:`ml.warehouse.deal_history`: every deal, stage
change, account, rep and deal activity the last published night had loaded) and the
request's rows, delivered on ``as_of``. The history gives what the request cannot: the
deal's earlier versions and stage periods, its account's activities, the stages' median
days and the owner's record, each dated by when the warehouse knew it. A row the request
repeats is the same row to the SQL (staging keeps its first delivery date), so a deal
sent as the CRM delivered it gets the batch's features; a changed or new deal gets the
features the batch would give it had the CRM delivered it on ``as_of``.

Scores: the champion the batch would use for the date
(:func:`ml.registry.lifecycle.champion_for`), or without one the stage win rates fitted
as the batch fits them (:func:`ml.opportunity_scoring.score.fit_stage_fallback`) on the
labelled snapshots of the published marts, through the batch's own scoring chain
(:func:`ml.opportunity_scoring.score.deal_scores`).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from ml.contract import LINEAGE_COLUMNS
from ml.opportunity_scoring.config import OpportunityScoringConfig
from ml.opportunity_scoring.score import StageFallback, deal_scores, fit_stage_fallback
from ml.opportunity_scoring.steps.data import read_labelled_rows
from ml.opportunity_scoring.steps.score import MODEL_NAME
from ml.serving.champion import AliasPoller
from ml.serving.features import FeatureSql
from ml.serving.request_rows import raw_schema, raw_table

log = logging.getLogger(__name__)
KEY = "opportunity_id"


class DealNotOpenError(ValueError):
    """A deal of the request has no feature row as of its date (the batch would not score it)."""

    def __init__(self, index: int, opportunity_id: str, reason: str) -> None:
        super().__init__(reason)
        self.index, self.opportunity_id, self.reason = index, opportunity_id, reason


class PublishedDeals:
    """What the published night holds for deals, read when its files change: the deal
    history's raw rows (as Arrow tables) and, per as-of date, the stage-rate fallback."""

    def __init__(self, warehouse: Path, history: Path, raw_columns: dict[str, tuple[str, ...]],
                 config: OpportunityScoringConfig) -> None:  # fmt: skip
        self._warehouse, self._history = warehouse, history
        self._raw_columns, self._config = raw_columns, config
        self._lock = threading.Lock()
        self._stamp: tuple[float | None, float | None] | None = None
        self._tables: dict[str, pa.Table] = {}
        self._fits: dict[date, StageFallback] = {}

    def _check(self) -> None:
        stamp = tuple(
            p.stat().st_mtime if p.exists() else None for p in (self._warehouse, self._history)
        )
        if stamp != self._stamp:
            self._tables, self._fits = self._read_history(), {}
            self._stamp = stamp  # type: ignore[assignment]

    def tables(self) -> dict[str, pa.Table]:
        with self._lock:
            self._check()
            return self._tables

    def stage_rates(self, as_of: date) -> StageFallback:
        """The batch's stage-rate fallback for ``as_of``, fitted as the batch fits it."""
        with self._lock:
            self._check()
            if as_of not in self._fits:
                with duckdb.connect(str(self._warehouse), read_only=True) as con:
                    labelled = read_labelled_rows(con, as_of, self._config.maturity_days)
                c = self._config
                self._fits[as_of] = fit_stage_fallback(
                    labelled, as_of, c.pseudo_deals, c.default_win_rate
                )
            return self._fits[as_of]

    def _read_history(self) -> dict[str, pa.Table]:
        empty = {t: raw_schema(c).empty_table() for t, c in self._raw_columns.items()}
        if not self._history.exists():
            log.warning("no deal history at %s: deals are scored on the request's rows alone",
                        self._history)  # fmt: skip
            return empty
        out = {}
        with duckdb.connect(str(self._history), read_only=True) as con:
            for table, columns in self._raw_columns.items():
                present = {r[0] for r in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = 'raw' and table_name = ?", [table],
                ).fetchall()}  # fmt: skip
                if not present:
                    out[table] = empty[table]
                    continue
                select = [f'"{c}"::varchar' if c in present else "null::varchar" for c in columns]
                select += [f'"{c}"::{kind}' for c, kind in LINEAGE_COLUMNS.items()]
                rows = con.sql(f"select {', '.join(select)} from raw.{table}").to_arrow_table()
                schema = raw_schema(columns)
                out[table] = rows.rename_columns(schema.names).cast(schema)
        return out


class DealChampion(AliasPoller):
    """``opportunity_scoring@champion`` as the batch of a date would use it: the alias,
    looked at every ``poll_seconds`` in a thread, and per date the version
    :func:`~ml.registry.lifecycle.champion_for` picks; loaded versions are kept."""

    thread_name = "deal-champion"

    def __init__(self, client: Any, poll_seconds: float) -> None:
        super().__init__(poll_seconds)
        self._client = client
        self._lock = threading.Lock()
        self._by_date: dict[tuple[str | None, date], str | None] = {}
        self._models: dict[str, Any] = {}
        self.alias: str | None = self._resolve()

    def _resolve(self) -> str | None:
        from ml.registry.aliases import alias_version

        return alias_version(self._client, MODEL_NAME, "champion")

    def check(self) -> bool:
        """Look at the alias once; True if it moved (a failed look keeps the last)."""
        try:
            version = self._resolve()
        except Exception:
            log.exception("could not look at %s@champion", MODEL_NAME)
            return False
        moved, self.alias = version != self.alias, version
        return moved

    def for_date(self, as_of: date) -> tuple[str | None, Any]:
        """(version, DealModel) the batch of ``as_of`` scores with, or (None, None)."""
        from ml.opportunity_scoring.steps.score import load_deal_model
        from ml.registry.lifecycle import champion_for

        alias = self.alias
        with self._lock:
            if (alias, as_of) not in self._by_date:
                self._by_date[(alias, as_of)] = champion_for(self._client, MODEL_NAME, as_of,
                                                             alias)  # fmt: skip
            version = self._by_date[(alias, as_of)]
            if version is not None and version not in self._models:
                self._models[version] = load_deal_model(f"models:/{MODEL_NAME}/{version}")
            return version, self._models.get(version) if version else None


class DealScorer:
    """Scores request deals with the batch's champion for their date, or its fallback."""

    def __init__(self, features: FeatureSql, published: PublishedDeals, champion: DealChampion,
                 config: OpportunityScoringConfig, pii_key: str) -> None:  # fmt: skip
        self.features, self.published, self.champion = features, published, champion
        self.config, self._pii_key = config, pii_key

    def score(self, as_of: date, rows: dict[str, dict[str, list]]) -> tuple[pd.DataFrame, str]:
        """``ml.opportunity_scores`` rows of the request's deals (``rows``: raw columns by
        table, :func:`ml.serving.deal_schemas.deal_columns`), in the request's order, and
        the model version that scored them.

        Raises:
            DealNotOpenError: a deal has no feature row as of ``as_of``; nothing is scored.
        """
        history = self.published.tables()
        tables = {
            t: pa.concat_tables([history[t], raw_table(cols, rows[t], as_of)])
            if t in rows else history[t]
            for t, cols in self.features.raw_columns.items()
        }  # fmt: skip
        built = self.features.run(as_of, tables, self._pii_key).set_index(KEY, drop=False)
        wanted = list(rows["opportunities"][KEY])
        for index, deal_id in enumerate(wanted):
            if deal_id not in built.index:
                raise DealNotOpenError(index, deal_id, _why_not_open(rows, index, as_of))
        deals = built.loc[wanted].reset_index(drop=True)
        version, model = self.champion.for_date(as_of)
        fallback = None if model is not None else self.published.stage_rates(as_of)
        frame = deal_scores(
            deals, as_of, datetime.now(UTC), top_factors=self.config.top_factors,
            champion=(str(version), model) if model is not None else None, fallback=fallback,
        )  # fmt: skip
        return frame, str(version) if fallback is None else fallback.version


def _why_not_open(rows: dict[str, dict[str, list]], index: int, as_of: date) -> str:
    deal = {k: v[index] for k, v in rows["opportunities"].items()}
    return (
        f"deal {deal.get(KEY)!r} is not open as of {as_of.isoformat()} "
        f"(stage {deal.get('stage')!r}, created_at {deal.get('created_at')!r}, "
        f"updated_at {deal.get('updated_at')!r}): only deals created and last updated on "
        "or before as_of, in a stage that is not closed, are scored"
    )
