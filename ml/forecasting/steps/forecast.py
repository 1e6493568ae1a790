"""The forecast step: tonight's ``ml.revenue_forecasts`` rows from
``revenue_forecast@champion`` (training one first when due), and the realised accuracy
of earlier forecasts.

Reads the marts, loads the champion from MLflow, calls the pure stages
(:mod:`~ml.forecasting.features`, :mod:`~ml.forecasting.open_pipeline`,
:mod:`~ml.forecasting.forecast`, :mod:`~ml.forecasting.monitor`) and writes through the
catalog. The business date comes from the DAG run. The champion/challenger rules and the
alias history are the registry's, shared with lead scoring (:mod:`ml.registry`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import pandas as pd

from ml import names
from ml.catalog import write_partition
from ml.faults import kill_point
from ml.forecasting.config import GRAINS, forecast_config
from ml.forecasting.evaluate import DEAL_MODEL, STAGE_WIN_RATE
from ml.forecasting.features import (
    SeriesSet,
    build_series,
    market_covariates,
    missing_revenue_history,
)
from ml.forecasting.forecast import forecast_rows
from ml.forecasting.monitor import realised_performance
from ml.forecasting.open_pipeline import pipeline_forecast
from ml.registry.aliases import alias_version, notice_manual_moves
from ml.registry.history import PROMOTIONS, moves_frame
from ml.registry.lifecycle import champion_for, registered_for
from ml.registry.tracking import CHALLENGER, CHAMPION, configure_mlflow
from ml.settings import Settings, load_settings
from ml.warehouse import runs as monitoring
from ml.warehouse.tables import table_exists

log = logging.getLogger(__name__)

MODEL_NAME = names.REVENUE_FORECAST
# The version tag that says which win probabilities weigh the open pipeline.
PIPELINE_METHOD_TAG = "existing_pipeline_method"


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
    from ml.forecasting.models.forecaster import load_forecaster

    settings = settings or load_settings()
    config = forecast_config(settings)
    configure_mlflow(settings)
    import mlflow

    client = mlflow.MlflowClient()
    if not config.enabled:
        return _skipped(business_date, "switched off (forecasting.enabled is false)", settings)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        inputs = read_inputs(con)
    missing = missing_revenue_history(inputs["daily_revenue"], business_date)
    if missing is not None:
        return _skipped(business_date, missing, settings)
    from ml.forecasting.steps.train import train_if_due

    trained = train_if_due(business_date, settings, client, inputs)
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
    # the open pipeline's weighting the version's backtest chose (train step)
    method = client.get_model_version(MODEL_NAME, version).tags.get(PIPELINE_METHOD_TAG)
    win_probability = expected_close = None
    if method == DEAL_MODEL:
        with duckdb.connect(str(settings.work_warehouse)) as con:
            scored = read_deal_scores(con, business_date)
        if scored is not None:
            win_probability, expected_close = scored["win_probability"], scored["close"]
    log.info("existing pipeline weighted by %s", method or STAGE_WIN_RATE)
    series = build_series(inputs["daily_revenue"], forecaster.config, as_of=business_date)
    covariates = {g: market_covariates(inputs["market_indicators_daily"], g) for g in GRAINS}
    pipeline = pipeline_forecast(
        inputs["opportunities"], inputs["opportunity_stage_history"], business_date, config,
        win_probability, series=series, expected_close=expected_close,
    )  # fmt: skip
    rows = forecast_rows(forecaster, series, covariates, pipeline, business_date).assign(
        model_name=MODEL_NAME, model_version=version, model_alias=alias,
        forecast_at=datetime.now(UTC).replace(tzinfo=None),
    )  # fmt: skip
    with duckdb.connect(str(settings.work_warehouse)) as con:
        # validated with expectations/ml/revenue_forecasts.yml, the date replaced at once
        write_partition(con, "ml.revenue_forecasts", rows, {"forecast_date": business_date})
        realised = _write_realised(
            con, read_past_forecasts(con, business_date), series, business_date
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


def _write_realised(
    con: duckdb.DuckDBPyConnection, past: pd.DataFrame, series: SeriesSet, on: date
) -> int:
    """Score every earlier forecast on its completed periods into
    ``monitoring.forecast_performance`` (rows for those forecast dates replaced)."""
    realised = realised_performance(past, series, MODEL_NAME, on)
    if realised.empty:
        return 0
    forecast_dates = sorted(set(pd.to_datetime(realised["forecast_date"]).dt.date))
    return write_partition(
        con, "monitoring.forecast_performance", realised,
        {"model_name": MODEL_NAME, "forecast_date": forecast_dates},
    )  # fmt: skip


INPUT_QUERIES = {
    "daily_revenue": "select * from marts.daily_revenue",
    "market_indicators_daily": "select * from marts.market_indicators_daily",
    "opportunities": "select * from marts.opportunities",
    "opportunity_stage_history": "select * from marts.opportunity_stage_history",
}


def read_inputs(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """The four marts forecasting reads, as DataFrames."""
    return {name: con.execute(query).df() for name, query in INPUT_QUERIES.items()}


def read_deal_scores(con: duckdb.DuckDBPyConnection, business_date: date) -> pd.DataFrame | None:
    """Tonight's win probabilities and expected close periods (column ``close``) from the
    deal model's champion (``scoring_method = 'model'`` rows of ``ml.opportunity_scores``),
    indexed by ``opportunity_id``; None without any (the open pipeline's own stage win
    rates and close rule then weigh and place every deal)."""
    if not table_exists(con, "ml", "opportunity_scores"):
        return None
    frame = con.execute(
        "select opportunity_id, win_probability, expected_close_period as close "
        "from ml.opportunity_scores where score_date = ? and scoring_method = 'model'",
        [business_date],
    ).df()
    return frame.set_index("opportunity_id") if len(frame) else None


def read_past_forecasts(con: duckdb.DuckDBPyConnection, before: date) -> pd.DataFrame:
    """Forecasts issued before ``before`` (for realised forecast performance)."""
    if not table_exists(con, "ml", "revenue_forecasts"):
        return pd.DataFrame()
    return con.execute("select * from ml.revenue_forecasts where forecast_date < ?", [before]).df()


def read_score_history(con: duckdb.DuckDBPyConnection, business_date: date) -> pd.DataFrame:
    """The deal model's out-of-sample win probabilities from its latest training on or
    before ``business_date`` (``ml.opportunity_score_history``); empty without any."""
    empty = pd.DataFrame(columns=["opportunity_id", "as_of_date", "win_probability"])
    if not table_exists(con, "ml", "opportunity_score_history"):
        return empty
    return con.execute(
        "select opportunity_id, as_of_date, win_probability from ml.opportunity_score_history "
        "where training_date = (select max(training_date) from ml.opportunity_score_history "
        "where training_date <= ?)",
        [business_date],
    ).df()
