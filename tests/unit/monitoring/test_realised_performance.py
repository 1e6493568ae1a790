"""Realised performance of any model: classification metrics per group, forecast errors
and interval coverage."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ml.metrics import classification_metrics
from ml.monitoring import realised_classification_performance, realised_forecast_performance


def test_classification_groups_are_judged_only_once_every_label_is_final():
    predictions = pd.DataFrame(
        {
            "week": [1, 1, 1, 1, 1, 2, 2],
            "p": [0.9, 0.2, 0.7, None, 0.4, 0.6, 0.3],
            "label": [True, False, False, True, None, True, False],
            "known": [True, True, True, True, False, True, False],
        }
    )
    found = realised_classification_performance(predictions, by="week", probability="p")
    assert list(found["week"]) == [1]  # week 2 has a label that can still change
    week = found.iloc[0]
    # the row without a probability and the one without a label are left out
    assert week["rows"] == 3 and week["positives"] == 1 and week["rows_excluded"] == 2
    expected = classification_metrics(np.array([1, 0, 0]), np.array([0.9, 0.2, 0.7]))
    assert week["roc_auc"] == expected.roc_auc == 1.0
    assert week["brier"] == pytest.approx(expected.brier)


def test_classification_names_a_missing_column():
    frame = pd.DataFrame({"week": [1], "p": [0.5], "label": [True]})
    with pytest.raises(ValueError, match="predictions is missing the column.*known"):
        realised_classification_performance(frame, by="week", probability="p")


def weeks(first: str, values: list[float]) -> pd.DataFrame:
    start = pd.date_range(first, periods=len(values), freq="7D")
    return pd.DataFrame(
        {
            "segment": "smb",
            "grain": "week",
            "period_start": start.date,
            "period_end": (start + pd.Timedelta(days=6)).date,
            "actual": values,
        }
    )


def forecast(day: str, first: str, values: list[float], half_width: float) -> pd.DataFrame:
    frame = weeks(first, values).drop(columns="actual")
    return frame.assign(
        forecast_date=dt.date.fromisoformat(day),
        forecast=values,
        lower=[v - half_width for v in values],
        upper=[v + half_width for v in values],
        interval_level=0.8,
        lower_95=[v - 2 * half_width for v in values],
        upper_95=[v + 2 * half_width for v in values],
        method="ets",
    )


def test_forecasts_are_scaled_by_the_naive_error_of_the_history_they_could_see():
    # Actual weekly revenue from 1 Jan: 100, 110, 90, 100 (history), then 120, 80.
    actuals = weeks("2024-01-01", [100, 110, 90, 100, 120, 80])
    made = forecast("2024-01-28", "2024-01-29", [110, 100, 95], half_width=15)  # 3 weeks ahead
    found = realised_forecast_performance(made, actuals).iloc[0]
    assert found["periods"] == 2  # the third week has not completed
    assert found["mae"] == pytest.approx((10 + 20) / 2)
    assert found["scale"] == pytest.approx((10 + 20 + 10) / 3)  # |110-100|, |90-110|, |100-90|
    assert found["mase"] == pytest.approx(15 / (40 / 3))
    assert found["coverage_80"] == 0.5 and found["coverage_95"] == 1.0  # 120 in, 80 out of 80%


def test_a_forecast_without_two_periods_of_history_has_no_scale():
    actuals = weeks("2024-01-01", [100, 110, 90])
    made = forecast("2024-01-07", "2024-01-08", [100], half_width=5)
    found = realised_forecast_performance(made, actuals).iloc[0]
    assert np.isnan(found["scale"]) and np.isnan(found["mase"]) and found["mae"] == 10


def test_bad_forecast_inputs_raise():
    actuals = weeks("2024-01-01", [100, 110])
    made = forecast("2024-01-07", "2024-01-08", [100], half_width=5)
    with pytest.raises(ValueError, match="80% interval"):
        realised_forecast_performance(made.assign(interval_level=0.9), actuals)
    with pytest.raises(ValueError, match="one row per segment"):
        realised_forecast_performance(made, pd.concat([actuals, actuals]))
    with pytest.raises(ValueError, match="actuals is missing the column.*actual"):
        realised_forecast_performance(made, actuals.drop(columns="actual"))
