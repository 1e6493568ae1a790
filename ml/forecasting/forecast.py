"""The forecast stage: a fitted forecaster's rows for one forecast date, with the open
pipeline beside them.

Pure: the forecaster, tonight's series and covariates and the open-pipeline frame
(:func:`ml.forecasting.open_pipeline.pipeline_forecast`) in, the ``ml.revenue_forecasts``
rows (without the model columns the step adds) out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd

from ml.forecasting.features import SeriesSet
from ml.forecasting.models.forecaster import RevenueForecaster


def forecast_rows(
    forecaster: RevenueForecaster,
    series: SeriesSet,
    covariates: Mapping[str, pd.DataFrame] | None,
    pipeline: pd.DataFrame,
    forecast_date: date,
) -> pd.DataFrame:
    """Reconciled forecasts with intervals per segment and period
    (:meth:`RevenueForecaster.forecast`), split into the open pipeline and new business
    (:func:`with_pipeline`)."""
    return with_pipeline(forecaster.forecast(series, covariates, forecast_date), pipeline)


def with_pipeline(forecast: pd.DataFrame, pipeline: pd.DataFrame) -> pd.DataFrame:
    """Forecast rows with ``existing_pipeline`` (expected revenue of open opportunities
    closing in the period) and ``new_business`` (the rest of the forecast, not below 0)."""
    keys = ["segment", "grain", "period_start"]
    merged = forecast.merge(pipeline[[*keys, "existing_pipeline"]], on=keys, how="left")
    merged["existing_pipeline"] = merged["existing_pipeline"].fillna(0.0)
    merged["new_business"] = (merged["forecast"] - merged["existing_pipeline"]).clip(lower=0.0)
    return merged
