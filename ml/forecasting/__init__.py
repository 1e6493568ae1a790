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
``calendar`` (periods, month-end/weekday calendar weights), ``series`` (marts to weekly
and monthly series per segment, status per series), ``panel`` (arrays for the models),
``baselines`` (seasonal naive, run rate, ETS), ``ets_budget`` (ETS's time cap),
``lstm_data`` + ``lstm`` (global LSTM, Lightning), ``ensemble``, ``models`` (all models
at one origin), ``accuracy`` (MASE, sMAPE, coverage), ``backtest`` (rolling origin),
``select`` (champions), ``reconcile`` (coherent segment forecasts), ``intervals``
(conformal), ``train`` + ``forecaster`` (the fitted object), ``pipeline``
(open-opportunity expected revenue), ``plots``.
"""

from ml.forecasting.backtest import BacktestResult, run_backtest
from ml.forecasting.config import GRAINS, MODELS, ForecastConfig
from ml.forecasting.forecaster import FORECAST_COLUMNS, RevenueForecaster
from ml.forecasting.pipeline import PIPELINE_COLUMNS, pipeline_forecast
from ml.forecasting.plots import backtest_figure
from ml.forecasting.series import SeriesSet, build_series, market_covariates
from ml.forecasting.train import fit_forecaster

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
