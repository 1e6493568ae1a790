"""Revenue forecasting as the DAG calls it: train (when due) and gate, then forecast.

Each step opens the working warehouse and MLflow itself and takes the business date from
the DAG run. The champion/challenger rules and the alias history are the registry's,
shared with lead scoring (:mod:`ml.registry`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import pandas as pd

from ml.catalog import write_partition
from ml.faults import kill_point
from ml.forecasting import GRAINS, build_series, market_covariates, pipeline_forecast
from ml.forecasting.config import forecast_config
from ml.forecasting.features import missing_revenue_history
from ml.forecasting.monitor import record_realised
from ml.forecasting.steps import store
from ml.forecasting.steps.train import MODEL_NAME, train_and_gate
from ml.registry.aliases import alias_version, notice_manual_moves
from ml.registry.history import PROMOTIONS, moves_frame
from ml.registry.lifecycle import (
    TrainingOutcome,
    champion_for,
    clean_interrupted,
    registered_for,
    training_due,
)
from ml.registry.tracking import CHALLENGER, CHAMPION, configure_mlflow
from ml.settings import Settings, load_settings
from ml.warehouse import runs as monitoring

log = logging.getLogger(__name__)

SCHEDULE, NO_CHAMPION, MANUAL = "schedule", "no_champion", "manual"


def train_revenue_model(
    business_date: date, trigger: str = MANUAL, settings: Settings | None = None
) -> TrainingOutcome:
    """Backtest, fit and register a forecaster on the history up to ``business_date``,
    as ``challenger``; promote it if it beats the champion on the same backtest."""
    settings = settings or load_settings()
    return train_and_gate(business_date, trigger, settings, forecast_config(settings))


@dataclass(frozen=True)
class ForecastOutcome:
    rows: int
    model_version: str
    trained: str
    # Why forecasting did not run tonight (switched off, no revenue history), or None.
    skipped: str | None = None


def forecast_revenue(business_date: date, settings: Settings | None = None) -> ForecastOutcome:
    """Forecast the next 13 weeks and 6 months per segment with ``revenue_forecast@champion``
    (training one first when there is none, or the last is ``retrain_every_days`` old),
    with the existing-pipeline component beside it; replace the date in
    ``ml.revenue_forecasts``.

    Without a champion (no version has passed the gate yet) the latest challenger
    forecasts, and every row says ``model_alias = 'challenger'``.

    Raises:
        RuntimeError: training registered no version at all.
    """
    from ml.forecasting.models.pyfunc import load_forecaster

    settings = settings or load_settings()
    config = forecast_config(settings)
    configure_mlflow(settings)
    import mlflow

    client = mlflow.MlflowClient()
    if not config.enabled:
        return _skipped(business_date, "switched off (forecasting.enabled is false)", settings)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        inputs = store.read_inputs(con)
        win_probability = store.read_win_probabilities(con, business_date)
    missing = missing_revenue_history(inputs["daily_revenue"], business_date)
    if missing is not None:
        return _skipped(business_date, missing, settings)
    trained = _train_if_due(business_date, settings, client, inputs)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        champion, moves = notice_manual_moves(client, con, MODEL_NAME, business_date)
        write_partition(con, PROMOTIONS, moves_frame(moves))
    # a backfill behind the live champion forecasts with the champion as of its date
    champion = champion_for(client, MODEL_NAME, business_date, champion)
    alias, version = CHAMPION, champion
    if champion is None:
        # No version has passed the gate yet (a first model outside the coverage band,
        # say). A night still ends with forecasts: the challenger's, labelled as such.
        # The version trained for this very date when there is one (a re-run, a backfill
        # after later nights), so a date always forecasts with the same version.
        alias = CHALLENGER
        version = registered_for(client, MODEL_NAME, business_date) or alias_version(
            client, MODEL_NAME, CHALLENGER
        )
        if version is None:
            raise RuntimeError(f"No {MODEL_NAME} version after training ({trained}).")
        log.warning(
            "no %s champion (%s): forecasting with challenger v%s", MODEL_NAME, trained, version
        )
    forecaster = load_forecaster(f"models:/{MODEL_NAME}/{version}")
    series = build_series(inputs["daily_revenue"], forecaster.config, as_of=business_date)
    covariates = {g: market_covariates(inputs["market_indicators_daily"], g) for g in GRAINS}
    forecast = forecaster.forecast(series, covariates, business_date)
    pipeline = pipeline_forecast(
        inputs["opportunities"], inputs["opportunity_stage_history"], business_date, config,
        win_probability, series=series,
    )  # fmt: skip
    rows = with_pipeline(forecast, pipeline).assign(
        model_name=MODEL_NAME, model_version=version, model_alias=alias,
        forecast_at=datetime.now(UTC).replace(tzinfo=None),
    )  # fmt: skip
    with duckdb.connect(str(settings.work_warehouse)) as con:
        store.write_forecasts(con, rows, business_date)
        realised = record_realised(
            con, store.read_past_forecasts(con, business_date), series, MODEL_NAME, business_date
        )
        kill_point("forecast:written")
        # The night's forecasting stage is done: the night may publish once all are.
        monitoring.record_stage(con, business_date, monitoring.FORECAST_STAGE, datetime.now(UTC))
    log.info("scored %d earlier forecasts on the periods since completed", realised)
    log.info(
        "wrote %d forecast rows for %s from %s v%s (%s)",
        len(rows), business_date, MODEL_NAME, version, alias,
    )  # fmt: skip
    return ForecastOutcome(len(rows), version, trained)


def _skipped(business_date: date, reason: str, settings: Settings) -> ForecastOutcome:
    """A night without forecasts: nothing is trained or written, the stage is recorded
    ``skipped`` with the reason (so the night still publishes), and the reason is said."""
    log.warning("forecasting skipped for %s: %s", business_date, reason)
    settings.work_warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        monitoring.record_stage(
            con, business_date, monitoring.FORECAST_STAGE, datetime.now(UTC), skipped=reason
        )
    return ForecastOutcome(0, "", "", skipped=reason)


def with_pipeline(forecast: pd.DataFrame, pipeline: pd.DataFrame) -> pd.DataFrame:
    """Forecast rows with ``existing_pipeline`` (expected revenue of open opportunities
    closing in the period) and ``new_business`` (the rest of the forecast, not below 0)."""
    keys = ["segment", "grain", "period_start"]
    merged = forecast.merge(pipeline[[*keys, "existing_pipeline"]], on=keys, how="left")
    merged["existing_pipeline"] = merged["existing_pipeline"].fillna(0.0)
    merged["new_business"] = (merged["forecast"] - merged["existing_pipeline"]).clip(lower=0.0)
    return merged


def _train_if_due(
    business_date: date, settings: Settings, client, inputs: dict[str, pd.DataFrame]
) -> str:
    config = forecast_config(settings)
    clean_interrupted(client, MODEL_NAME)
    reason = training_due(client, MODEL_NAME, business_date, config.retrain_every_days)
    if reason is None:
        return f"not due for {business_date}"
    trigger = NO_CHAMPION if reason.startswith("no champion") else SCHEDULE
    return f"{reason}: {train_and_gate(business_date, trigger, settings, config, inputs).summary}"
