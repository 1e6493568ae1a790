"""The whole chain on the synthetic marts: backtest, fit, forecast, figure, pickling."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import joblib
import numpy as np
import pandas as pd
import pytest
from forecast_data import AS_OF
from matplotlib.figure import Figure

from ml.forecasting import (
    FORECAST_COLUMNS,
    MODELS,
    backtest_figure,
    build_series,
    fit_forecaster,
    market_covariates,
    run_backtest,
)
from ml.forecasting.models.backtest import TABLE_COLUMNS, plan_origins


@pytest.fixture(scope="module")
def run(daily_revenue, market_daily, config):
    series = build_series(daily_revenue, config, as_of=AS_OF)
    covariates = {g: market_covariates(market_daily, g) for g in ("week", "month")}
    backtest = run_backtest(series, covariates, config)
    forecaster = fit_forecaster(series, covariates, backtest, config)
    forecast = forecaster.forecast(series, covariates, AS_OF)
    return series, covariates, backtest, forecaster, forecast


def test_backtest_table_scores_every_model_on_every_series(run):
    series, _, backtest, _, _ = run
    table = backtest.table
    assert list(table.columns) == TABLE_COLUMNS
    assert set(table["model"]) == set(MODELS) | {"champion"}
    weekly = table[(table["grain"] == "week") & (table["segment"] == "total")]
    assert (weekly["origins"] >= 4).all()
    assert weekly["mase"].notna().all() and weekly["coverage_80"].between(0, 1).all()
    assert set(table["segment"]) == set(series.frame("week").columns)


def test_summary_gives_mase_relative_to_seasonal_naive(run):
    summary = run[2].summary()
    naive = summary[summary["model"] == "seasonal_naive"]
    np.testing.assert_allclose(naive["relative_mase"], 1.0)
    assert {"all", "total", "region", "product", "rep"} <= set(summary["level"])
    assert {"coverage_80", "coverage_95"} <= set(summary.columns)


def test_forecast_rows_columns_and_periods(run):
    series, _, _, _, forecast = run
    assert list(forecast.columns) == FORECAST_COLUMNS
    weekly = forecast[forecast["grain"] == "week"]
    assert len(weekly) == 13 * series.frame("week").shape[1]
    assert weekly["period_start"].min() == date(2025, 6, 16)  # the week holding AS_OF
    assert forecast.loc[forecast["grain"] == "month", "period_start"].min() == date(2025, 6, 1)
    assert (forecast["forecast_date"] == AS_OF).all()
    assert set(forecast["method"]) <= set(MODELS)
    assert (forecast["interval_level"] == 0.8).all()


def test_forecasts_are_reconciled_and_non_negative(run):
    forecast = run[4]
    assert (forecast[["forecast", "lower", "lower_95"]] >= 0).all().all()
    level = forecast["segment"].str.split(":").str[0]
    for hierarchy in ("region", "product", "rep"):
        sums = forecast[level == hierarchy].groupby(["grain", "period_start"])["forecast"].sum()
        total = forecast[level == "total"].set_index(["grain", "period_start"])["forecast"]
        np.testing.assert_allclose(sums.sort_index(), total.sort_index(), rtol=1e-6)


def test_intervals_nest_around_the_forecast(run):
    f = run[4]
    assert (f["lower_95"] <= f["lower"] + 1e-9).all() and (f["lower"] <= f["forecast"] + 1e-9).all()
    assert (f["forecast"] <= f["upper"] + 1e-9).all() and (f["upper"] <= f["upper_95"] + 1e-9).all()
    total = f[(f["segment"] == "total") & (f["grain"] == "week")]
    assert (total["upper"] > total["forecast"]).all()  # a real width, not a point


def test_short_series_use_the_documented_fallback(run):
    forecast = run[4]
    other = forecast[forecast["segment"] == "rep:other"]
    assert (other["series_status"] == "short").all()
    assert (other["method"] == "run_rate").all()
    assert (other["forecast"] > 0).any()  # the fallback forecasts a rate, not zeros


def test_forecaster_survives_joblib_and_forecasts_the_same(run):
    series, covariates, _, forecaster, forecast = run
    buffer = io.BytesIO()
    joblib.dump(forecaster, buffer)
    buffer.seek(0)
    again = joblib.load(buffer).forecast(series, covariates, AS_OF)
    pd.testing.assert_frame_equal(again, forecast)


def test_forecast_refuses_series_that_run_past_the_forecast_date(run):
    series, covariates, _, forecaster, _ = run
    with pytest.raises(ValueError, match="after the forecast date"):
        forecaster.forecast(series, covariates, date(2025, 1, 1))


def test_figure_of_a_series(run):
    series, _, backtest, _, forecast = run
    figure = backtest_figure(series, forecast, segment="region:north", backtest=backtest)
    assert isinstance(figure, Figure)
    labels = figure.axes[0].get_legend_handles_labels()[1]
    assert "actual" in labels and "80%" in labels and "backtest forecasts" in labels


def test_without_lstm_and_covariates_the_chain_still_works(daily_revenue, config):
    config = replace(
        config,
        use_lstm=False,
        ensemble_members=("run_rate", "seasonal_naive"),
        ets_budget_seconds=0.0,  # no ETS either: the cheapest chain there is
    )
    series = build_series(daily_revenue, config, as_of=AS_OF)
    backtest = run_backtest(series, None, config)
    assert "lstm" not in set(backtest.table["model"])
    ets = backtest.table[backtest.table["model"] == "ets"]
    assert (ets["origins"] == 0).all()  # a zero ETS budget admits no series, cleanly
    assert backtest.table.loc[backtest.table["model"] == "ensemble", "mase"].notna().any()
    forecast = fit_forecaster(series, None, backtest, config).forecast(series, None, AS_OF)
    assert forecast["forecast"].notna().all()


def test_origins_shrink_their_step_for_a_short_history(config):
    assert plan_origins(0, 200, 13, config, "week") == [147, 155, 163, 171, 179, 187][-4:]
    assert plan_origins(0, 45, 13, config, "week") == [26, 28, 30, 32]
    assert plan_origins(0, 30, 13, config, "week") == []
