"""One forecasting training: backtest every model on the history, fit the forecaster,
log the backtest table and plots to MLflow, register it as ``challenger``, and promote
it to ``champion`` through the shared gate."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import matplotlib.pyplot as plt
import mlflow
import pandas as pd
from mlflow.models import infer_signature

from ml.forecasting import (
    GRAINS,
    build_series,
    fit_forecaster,
    market_covariates,
    run_backtest,
    store,
)
from ml.forecasting.config import ForecastConfig
from ml.forecasting.plots import backtest_figure
from ml.forecasting.promotion import choice_mase, published_scores
from ml.forecasting.pyfunc import ARTIFACT_KEY, load_forecaster, pip_requirements, save_forecaster
from ml.registry import history
from ml.registry.aliases import move_alias, notice_manual_moves
from ml.registry.gate import decide_promotion
from ml.registry.provenance import code_version, data_fingerprint
from ml.registry.tracking import CHALLENGER, CHAMPION, use_experiment
from ml.settings import Settings

log = logging.getLogger(__name__)

MODEL_NAME = "revenue_forecast"


@dataclass(frozen=True)
class TrainingOutcome:
    run_id: str
    version: str
    promoted: bool
    summary: str


def train_and_gate(
    business_date: date, trigger: str, settings: Settings, config: ForecastConfig
) -> TrainingOutcome:
    use_experiment(settings, MODEL_NAME)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        inputs = store.read_inputs(con)
    series = build_series(inputs["daily_revenue"], config, as_of=business_date)
    covariates = {g: market_covariates(inputs["market_indicators_daily"], g) for g in GRAINS}
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
        # the champion comparison scores both forecasters' model choices on the same rows;
        # the checks score what is published (reconciled, calibrated, chosen honestly)
        challenger_mase = choice_mase(backtest.table, challenger_choices, segments)
        published_mase, naive_mase, coverage = published_scores(backtest.table)
        mlflow.log_metrics(
            {
                "backtest_mase": published_mase,
                "backtest_choice_mase": challenger_mase,
                "backtest_seasonal_naive_mase": naive_mase,
                "backtest_coverage_80": coverage,
            }
        )
        version = _register(
            forecaster, series, inputs, business_date, trigger, published_mase, coverage
        )
        with duckdb.connect(str(settings.work_warehouse)) as con:
            client = mlflow.MlflowClient()
            move_alias(client, con, model_name=MODEL_NAME, alias=CHALLENGER, version=version,
                       action=history.CHALLENGER, moved_by=f"training ({trigger})",
                       reason=f"trained for {business_date}", run_date=business_date)  # fmt: skip
            champion = notice_manual_moves(client, con, MODEL_NAME, business_date)
            champion_mase = None
            if champion is not None:
                old = load_forecaster(f"models:/{MODEL_NAME}/{champion}")
                champion_mase = choice_mase(backtest.table, old.champions, segments)
            low, high = config.coverage_80_band
            decision = decide_promotion(
                metric="backtest MASE of the chosen models",
                challenger=challenger_mase,
                champion=champion_mase,
                higher_is_better=False,
                margin=config.promotion_margin,
                checks={
                    "a backtest": (
                        coverage == coverage,  # NaN: no origin fitted in the history
                        "the history is too short for one backtest origin",
                    ),
                    "interval coverage": (
                        low <= coverage <= high,
                        f"80% intervals covered {coverage:.1%} (band {low:.0%}-{high:.0%})",
                    ),
                    "beats seasonal naive": (
                        published_mase <= naive_mase,
                        f"MASE {published_mase:.3f} vs seasonal naive {naive_mase:.3f}",
                    ),
                },
            )
            client.set_model_version_tag(MODEL_NAME, version, "gate_decision", decision.reason)
            client.set_model_version_tag(
                MODEL_NAME,
                version,
                "validation_status",
                "promoted" if decision.promote else "rejected",
            )
            if decision.promote:
                move_alias(client, con, model_name=MODEL_NAME, alias=CHAMPION, version=version,
                           action=history.PROMOTE, moved_by=f"promotion gate ({trigger})",
                           reason=decision.reason, run_date=business_date)  # fmt: skip
        mlflow.set_tags({"gate_decision": decision.reason, "registered_version": version})
    verdict = "promoted to champion" if decision.promote else "stays challenger"
    text = f"v{version} {verdict}: {decision.reason}"
    log.info("revenue forecast %s: %s", business_date, text)
    return TrainingOutcome(run.info.run_id, version, decision.promote, text)


def _register(forecaster, series, inputs, business_date, trigger, mase, coverage) -> str:
    revenue = inputs["daily_revenue"]
    history_rows = revenue[pd.to_datetime(revenue["revenue_date"]) <= pd.Timestamp(business_date)]
    with tempfile.TemporaryDirectory() as folder:
        artifact = save_forecaster(forecaster, Path(folder))
        # No input example: the input is a whole revenue history (an example would be the
        # mart itself, and a short one only exercises the fallbacks); the signature says
        # what goes in and out.
        sample = revenue.head(5)
        signature = infer_signature(
            sample,
            forecaster.forecast(series, None, business_date).head(5),
            params={"forecast_date": business_date.isoformat()},
        )
        info = mlflow.pyfunc.log_model(
            signature=signature,
            name="model",
            python_model=str(Path(__file__).with_name("mlflow_model.py")),
            artifacts={ARTIFACT_KEY: str(artifact)},
            pip_requirements=pip_requirements(),
            registered_model_name=MODEL_NAME,
        )
    version = str(info.registered_model_version)
    client = mlflow.MlflowClient()
    first = min(series.frame(g).index.min() for g in GRAINS)
    tags = {
        "business_date": business_date.isoformat(),
        "training_window": f"closed-won revenue {str(first)[:10]} to {business_date}",
        "data_fingerprint": data_fingerprint(history_rows.reset_index(drop=True)),
        "code_version": code_version(),
        "trigger": trigger,
        "validation_status": "pending",
        "backtest_mase": f"{mase:.4f}",
        "backtest_coverage_80": f"{coverage:.3f}",
    }
    for key, value in tags.items():
        client.set_model_version_tag(MODEL_NAME, version, key, value)
    return version
