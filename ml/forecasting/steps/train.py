"""The train step: backtest every model on the history, fit the forecaster, log the
backtest table and plots to MLflow, register it as ``challenger``, and promote it to
``champion`` through the shared gate.

The backtest and the fit are the pure :mod:`ml.forecasting.models.backtest` and
:mod:`ml.forecasting.train`; the gate's comparison is :mod:`ml.forecasting.evaluate`."""

from __future__ import annotations

import logging
from datetime import date

import duckdb
import matplotlib.pyplot as plt
import mlflow
import pandas as pd
from mlflow.models import infer_signature

from ml import names
from ml.catalog import write_partition
from ml.forecasting import (
    GRAINS,
    build_series,
    fit_forecaster,
    market_covariates,
    run_backtest,
)
from ml.forecasting.config import ForecastConfig, forecast_config
from ml.forecasting.evaluate import (
    choice_mase,
    choose_pipeline_method,
    forecast_gate,
    published_scores,
)
from ml.forecasting.models.forecaster import (
    ARTIFACT_KEY,
    MODEL_FILE,
    load_forecaster,
    pip_requirements,
)
from ml.forecasting.models.plots import backtest_figure
from ml.forecasting.train import history_fingerprint, version_tags
from ml.registry.gate import GateDecision
from ml.registry.history import PROMOTIONS, moves_frame
from ml.registry.lifecycle import (
    TrainingOutcome,
    clean_interrupted,
    gate_new_version,
    reused_outcome,
    tag_version,
    training_due,
)
from ml.registry.pyfunc import log_joblib_model
from ml.registry.tracking import use_experiment
from ml.settings import Settings, load_settings

log = logging.getLogger(__name__)

SCHEDULE, NO_CHAMPION, MANUAL = "schedule", "no_champion", "manual"

MODEL_NAME = names.REVENUE_FORECAST


def train_revenue_model(
    business_date: date, trigger: str = MANUAL, settings: Settings | None = None
) -> TrainingOutcome:
    """Backtest, fit and register a forecaster on the history up to ``business_date``,
    as ``challenger``; promote it if it beats the champion on the same backtest."""
    settings = settings or load_settings()
    return train_and_gate(business_date, trigger, settings, forecast_config(settings))


def train_if_due(
    business_date: date, settings: Settings, client, inputs: dict[str, pd.DataFrame]
) -> str:
    """Train when :func:`ml.registry.lifecycle.training_due` says so (no champion, or the
    newest version is ``retrain_every_days`` old); returns what was decided, for the log."""
    config = forecast_config(settings)
    clean_interrupted(client, MODEL_NAME)
    reason = training_due(client, MODEL_NAME, business_date, config.retrain_every_days)
    if reason is None:
        return f"not due for {business_date}"
    trigger = NO_CHAMPION if reason.startswith("no champion") else SCHEDULE
    return f"{reason}: {train_and_gate(business_date, trigger, settings, config, inputs).summary}"


def train_and_gate(
    business_date: date,
    trigger: str,
    settings: Settings,
    config: ForecastConfig,
    inputs: dict[str, pd.DataFrame] | None = None,
) -> TrainingOutcome:
    """Train for ``business_date`` on ``inputs`` (the marts
    :func:`ml.forecasting.steps.forecast.read_inputs` returns; read here when not given)."""
    use_experiment(settings, MODEL_NAME)
    if inputs is None:
        # imported here: the forecast step imports this module (it trains when due)
        from ml.forecasting.steps.forecast import read_inputs

        with duckdb.connect(str(settings.work_warehouse)) as con:
            inputs = read_inputs(con)
    series = build_series(inputs["daily_revenue"], config, as_of=business_date)
    covariates = {g: market_covariates(inputs["market_indicators_daily"], g) for g in GRAINS}
    client = mlflow.MlflowClient()
    clean_interrupted(client, MODEL_NAME)
    fingerprint = history_fingerprint(inputs, business_date)
    reused = reused_outcome(client, MODEL_NAME, business_date, fingerprint, trigger)
    if reused is not None:
        log.info("revenue forecast %s: %s", business_date, reused.summary)
        return reused
    with mlflow.start_run(run_name=f"train {business_date} ({trigger})") as run:
        mlflow.set_tags({"salespipe_kind": "training", "trigger": trigger})
        mlflow.log_params({"business_date": business_date.isoformat(), **config.as_params()})
        backtest = run_backtest(series, covariates, config)
        forecaster = fit_forecaster(series, covariates, backtest, config)
        summary = backtest.summary()
        mlflow.log_text(backtest.table.to_csv(index=False), "backtest/backtest_table.csv")
        mlflow.log_text(summary.to_csv(index=False), "backtest/backtest_summary.csv")
        mlflow.log_text(forecaster.champions.to_csv(index=False), "backtest/champions.csv")
        mlflow.log_metrics({f"seconds_{k}": v for k, v in backtest.timings.items()})
        forecast = forecaster.forecast(series, covariates, business_date)
        for grain in GRAINS:
            figure = backtest_figure(
                series, forecast, segment="total", grain=grain, backtest=backtest
            )
            mlflow.log_figure(figure, f"plots/total_{grain}.png")
            plt.close(figure)
        challenger_choices = forecaster.champions
        segments = set(zip(challenger_choices["grain"], challenger_choices["segment"], strict=True))
        # One figure per version: the MASE of what it publishes, chosen honestly; the tag,
        # `models list` and the gate all show this one.
        published_mase, naive_mase, coverage = published_scores(backtest.table)
        mlflow.log_metrics(
            {
                "backtest_mase": published_mase,
                "backtest_seasonal_naive_mase": naive_mase,
                "backtest_coverage_80": coverage,
            }
        )
        version = _register(
            forecaster, series, inputs, business_date, trigger, published_mase, coverage
        )
        _choose_pipeline_method(settings, inputs, business_date, config, version)

        def decide(champion: str | None) -> GateDecision:
            champion_mase = None
            if champion is not None:
                old = load_forecaster(f"models:/{MODEL_NAME}/{champion}")
                champion_mase = choice_mase(backtest.table, old.champions, segments)
            return forecast_gate(
                published_mase=published_mase,
                naive_mase=naive_mase,
                coverage=coverage,
                champion_mase=champion_mase,
                margin=config.promotion_margin,
                coverage_band=config.coverage_80_band,
            )

        with duckdb.connect(str(settings.work_warehouse)) as con:
            decision, moves = gate_new_version(
                mlflow.MlflowClient(), con, model_name=MODEL_NAME, version=version,
                business_date=business_date, trigger=trigger, decide=decide,
            )  # fmt: skip
            write_partition(con, PROMOTIONS, moves_frame(moves))
        mlflow.set_tags({"gate_decision": decision.reason, "registered_version": version})
    verdict = "promoted to champion" if decision.promote else "stays challenger"
    text = f"v{version} {verdict}: {decision.reason}"
    log.info("revenue forecast %s: %s", business_date, text)
    return TrainingOutcome(run.info.run_id, version, decision.promote, text)


def _choose_pipeline_method(
    settings: Settings,
    inputs: dict[str, pd.DataFrame],
    business_date: date,
    config: ForecastConfig,
    version: str,
) -> None:
    """Backtest the open pipeline's weighting (stage win rates against the deal model's
    out-of-sample probabilities, :func:`ml.forecasting.evaluate.choose_pipeline_method`),
    log it on the active run and tag the version with the method its forecasts use."""
    from ml.forecasting.steps.forecast import PIPELINE_METHOD_TAG, read_score_history

    with duckdb.connect(str(settings.work_warehouse)) as con:
        history = read_score_history(con, business_date)
    choice = choose_pipeline_method(
        inputs["opportunities"], inputs["opportunity_stage_history"], history, business_date,
        config,
    )  # fmt: skip
    mlflow.log_param(PIPELINE_METHOD_TAG, choice.method)
    mlflow.set_tag("existing_pipeline_reason", choice.reason)
    metrics = {
        "pipeline_backtest_origins": float(len(choice.origins)),
        "pipeline_wape_stage_win_rate": choice.wape_stage_win_rate,
        "pipeline_wape_deal_model": choice.wape_deal_model,
    }
    mlflow.log_metrics({k: v for k, v in metrics.items() if v == v})  # NaN: no origin
    mlflow.log_text(choice.origins.to_csv(index=False), "backtest/existing_pipeline.csv")
    tag_version(mlflow.MlflowClient(), MODEL_NAME, version, {PIPELINE_METHOD_TAG: choice.method})
    log.info("existing pipeline for %s: %s (%s)", business_date, choice.method, choice.reason)


def _register(forecaster, series, inputs, business_date, trigger, mase, coverage) -> str:
    revenue = inputs["daily_revenue"]
    # No input example: the input is a whole revenue history (an example would be the mart
    # itself, and a short one only exercises the fallbacks); the signature says what goes
    # in and out.
    signature = infer_signature(
        revenue.head(5),
        forecaster.forecast(series, None, business_date).head(5),
        params={"forecast_date": business_date.isoformat()},
    )
    version = log_joblib_model(
        forecaster,
        MODEL_FILE,
        ARTIFACT_KEY,
        MODEL_NAME,
        signature=signature,
        pip_requirements=pip_requirements(),
    )
    tags = version_tags(series, inputs, business_date, trigger, mase, coverage)
    tag_version(mlflow.MlflowClient(), MODEL_NAME, version, tags)
    return version
