"""One forecasting training: backtest every model on the history, fit the forecaster,
log the backtest table and plots to MLflow, register it as ``challenger``, and promote
it to ``champion`` through the shared gate."""

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
from ml.forecasting.config import ForecastConfig
from ml.forecasting.evaluate import choice_mase, forecast_gate, published_scores
from ml.forecasting.models.plots import backtest_figure
from ml.forecasting.models.pyfunc import (
    ARTIFACT_KEY,
    MODEL_FILE,
    load_forecaster,
    pip_requirements,
)
from ml.forecasting.steps import store
from ml.registry.gate import GateDecision
from ml.registry.history import PROMOTIONS, moves_frame
from ml.registry.lifecycle import (
    TrainingOutcome,
    clean_interrupted,
    gate_new_version,
    reused_outcome,
    tag_version,
)
from ml.registry.provenance import code_version, data_fingerprint
from ml.registry.pyfunc import log_joblib_model
from ml.registry.tracking import use_experiment
from ml.settings import Settings

log = logging.getLogger(__name__)

MODEL_NAME = names.REVENUE_FORECAST


def train_and_gate(
    business_date: date,
    trigger: str,
    settings: Settings,
    config: ForecastConfig,
    inputs: dict[str, pd.DataFrame] | None = None,
) -> TrainingOutcome:
    """Train for ``business_date`` on ``inputs`` (the marts :func:`store.read_inputs`
    returns; read here when not given)."""
    use_experiment(settings, MODEL_NAME)
    if inputs is None:
        with duckdb.connect(str(settings.work_warehouse)) as con:
            inputs = store.read_inputs(con)
    series = build_series(inputs["daily_revenue"], config, as_of=business_date)
    covariates = {g: market_covariates(inputs["market_indicators_daily"], g) for g in GRAINS}
    client = mlflow.MlflowClient()
    clean_interrupted(client, MODEL_NAME)
    fingerprint = _fingerprint(inputs, business_date)
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


def _fingerprint(inputs: dict[str, pd.DataFrame], business_date: date) -> str:
    """What a version is keyed on with its business date: the revenue history it saw."""
    revenue = inputs["daily_revenue"]
    history_rows = revenue[pd.to_datetime(revenue["revenue_date"]) <= pd.Timestamp(business_date)]
    return data_fingerprint(history_rows.reset_index(drop=True))


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
    first = min(series.frame(g).index.min() for g in GRAINS)
    tags = {
        "business_date": business_date.isoformat(),
        "training_window": f"closed-won revenue {str(first)[:10]} to {business_date}",
        "data_fingerprint": _fingerprint(inputs, business_date),
        "code_version": code_version(),
        "trigger": trigger,
        "validation_status": "pending",
        "backtest_mase": f"{mase:.4f}",
        "backtest_coverage_80": f"{coverage:.3f}",
    }
    tag_version(mlflow.MlflowClient(), MODEL_NAME, version, tags)
    return version
