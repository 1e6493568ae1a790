"""Assembling the scoring service for an install: what ``salespipe serve`` runs."""

from __future__ import annotations

import gc
import logging

from fastapi import FastAPI

from ml.lead_scoring.config import lead_scoring_config
from ml.serving.app import create_app
from ml.serving.champion import ChampionHolder
from ml.serving.config import ServingConfig
from ml.serving.deals import KEY, DealChampion, DealScorer, PublishedDeals
from ml.serving.features import compile_mart_sql
from ml.serving.online_log import OnlineInputLog, online_inputs_file
from ml.serving.scoring import OnlineScorer, PopulationCache
from ml.settings import Settings
from ml.warehouse.deal_history import deal_history_path

log = logging.getLogger(__name__)


def api_tokens(settings: Settings, config: ServingConfig) -> tuple[str, ...]:
    """Tokens from SALESPIPE_API_TOKENS and from serving.tokens, in that order."""
    return tuple(dict.fromkeys([*settings.api_tokens, *(t for t in config.tokens if t)]))


def deal_scorer(settings: Settings, config: ServingConfig) -> DealScorer | None:
    """The deal scorer for ``settings``' install (compiles the deal mart's SQL), or None
    when opportunity scoring is switched off."""
    import mlflow

    from ml.opportunity_scoring.config import opportunity_scoring_config
    from ml.registry.tracking import configure_mlflow

    deal_config = opportunity_scoring_config(settings)
    if not deal_config.enabled:
        return None
    configure_mlflow(settings)
    features = compile_mart_sql(settings, "opportunity_features", KEY, "history_bounds")
    published = PublishedDeals(settings.warehouse, deal_history_path(settings.warehouse),
                               features.raw_columns, deal_config)  # fmt: skip
    champion = DealChampion(mlflow.MlflowClient(), config.reload_poll_seconds)
    return DealScorer(features, published, champion, deal_config, settings.pii_key())


def build_app(settings: Settings, *, background: bool = True) -> FastAPI:
    """The scoring API for ``settings``' install: loads the champion and compiles its
    feature SQL now, so a broken install fails before the port opens.

    Raises:
        ValueError: no token is configured.
        ml.serving.champion.NoChampionError: no lead_scoring champion to serve.
        ml.config_file.ConfigError: salespipe.yml is invalid.
    """
    config = settings.serving()
    tokens = api_tokens(settings, config)
    if not tokens:
        raise ValueError(
            "No API token is configured: set SALESPIPE_API_TOKENS (comma-separated) or "
            "serving.tokens in salespipe.yml before starting the scoring API."
        )
    holder = ChampionHolder(settings, config.reload_poll_seconds)
    scorer = OnlineScorer(
        holder,
        lead_scoring_config(settings),
        PopulationCache(settings.warehouse),
        settings.pii_key(),
    )
    online_log = OnlineInputLog(online_inputs_file(settings.home), config.log_flush_seconds)
    app = create_app(scorer, holder, config, tokens, online_log,
                     deals=deal_scorer(settings, config), background=background)  # fmt: skip
    # What start-up loaded (MLflow, pandas, the model: ~400k objects) is kept out of the
    # cyclic garbage collector's full passes, which otherwise walk all of it (about half
    # a second on a busy 2-core machine) in the middle of whichever request triggers one.
    gc.collect()
    gc.freeze()
    return app
