"""Revenue forecasting: run-rate forecasts with calibrated intervals, and the pipeline.

Pure functions on DataFrames; the caller reads the marts and writes the results.
A nightly run is::

    config = ForecastConfig()
    series = build_series(daily_revenue, config, as_of=business_date)
    covariates = {g: market_covariates(market_indicators_daily, g) for g in GRAINS}
    backtest = run_backtest(series, covariates, config)          # .table, .summary()
    forecaster = fit_forecaster(series, covariates, backtest, config)  # joblib-picklable
    forecast = forecaster.forecast(series, covariates, business_date)
    pipeline = pipeline_forecast(opportunities, stage_history, business_date, config,
                                 series=series)
    figure = backtest_figure(series, forecast, segment="total", backtest=backtest)

Modules, in the order data flows through them: ``config`` (hyper-parameters),
``calendar`` (periods, month-end/weekday calendar weights), ``features`` (marts to weekly
and monthly series per segment, status per series), ``train`` (the forecaster from a
backtest), ``evaluate`` (comparing two forecasters on one backtest, for the gate),
``open_pipeline`` (expected revenue of the open deals), ``forecast`` (a forecaster's rows
with the open pipeline beside them), ``monitor`` (realised accuracy of earlier
forecasts). ``models/`` holds the family of models, the backtest and the fitted
forecaster; ``steps/`` does the I/O and is what the DAGs and the CLI call.
"""

# Names are imported on first use (PEP 562), so that reading one small module of this
# package (its config, say, when the CLI checks salespipe.yml) does not pull in the
# heavy libraries the rest needs.
_EXPORTS = {
    "BacktestResult": "ml.forecasting.models.backtest",
    "run_backtest": "ml.forecasting.models.backtest",
    "GRAINS": "ml.forecasting.config",
    "MODELS": "ml.forecasting.config",
    "ForecastConfig": "ml.forecasting.config",
    "FORECAST_COLUMNS": "ml.forecasting.models.forecaster",
    "RevenueForecaster": "ml.forecasting.models.forecaster",
    "PIPELINE_COLUMNS": "ml.forecasting.open_pipeline",
    "pipeline_forecast": "ml.forecasting.open_pipeline",
    "backtest_figure": "ml.forecasting.models.plots",
    "SeriesSet": "ml.forecasting.features",
    "build_series": "ml.forecasting.features",
    "market_covariates": "ml.forecasting.features",
    "fit_forecaster": "ml.forecasting.train",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FORECAST_COLUMNS",
    "GRAINS",
    "MODELS",
    "PIPELINE_COLUMNS",
    "BacktestResult",
    "ForecastConfig",
    "RevenueForecaster",
    "SeriesSet",
    "backtest_figure",
    "build_series",
    "fit_forecaster",
    "market_covariates",
    "pipeline_forecast",
    "run_backtest",
]
