"""Realised performance: how good past predictions were, once the truth is known.

Two kinds of prediction, whatever the use case that made them:

- probabilities of a binary outcome, judged per group (a score date, say) once every
  label in the group is final: :func:`realised_classification_performance`;
- forecasts with 80% and 95% intervals, judged on the periods that have since
  completed: :func:`realised_forecast_performance`.

How a label is known and when it is final (a lead's conversion window, say) is the use
case's business; it hands this module a frame with ``label`` and ``known`` columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.metrics import ClassificationMetrics, classification_metrics

FORECAST_INPUT_COLUMNS = (
    "forecast_date", "segment", "grain", "period_start", "forecast",
    "lower", "upper", "lower_95", "upper_95",
)  # fmt: skip
ACTUAL_COLUMNS = ("segment", "grain", "period_start", "period_end", "actual")
KEY = ["segment", "grain", "period_start"]
CLASSIFICATION_METRICS = list(ClassificationMetrics.__dataclass_fields__)


def realised_classification_performance(
    predictions: pd.DataFrame,
    *,
    by: str,
    probability: str,
    label: str = "label",
    known: str = "known",
) -> pd.DataFrame:
    """AUC, calibration and lift per group of past predictions whose labels are all final.

    Takes one row per prediction with the group column ``by`` (e.g. ``score_date``),
    the predicted ``probability``, the ``label`` (True for a positive; null when the
    outcome is unknown, e.g. no outcome row) and ``known`` (True once the label can no
    longer change). A row without a probability or a label is left out and counted in
    ``rows_excluded``; a group is reported only when every other row's label is final.
    Returns one row per reported group, in order: ``<by>, rows, positives, roc_auc,
    pr_auc, log_loss, brier, expected_calibration_error, top_decile_lift,
    rows_excluded``. Metrics come from ``ml.metrics``.

    Raises:
        ValueError: a column is missing.
    """
    _require(predictions, (by, probability, label, known), "predictions")
    usable = predictions[label].notna() & predictions[probability].notna()
    results = []
    for group, day in predictions.groupby(by, sort=True):
        rows = day[usable.loc[day.index]]
        if rows.empty or not rows[known].astype(bool).all():
            continue
        found = classification_metrics(
            rows[label].to_numpy(dtype=float), rows[probability].to_numpy(float)
        )
        results.append({by: group, **found.as_dict(), "rows_excluded": len(day) - len(rows)})
    frame = pd.DataFrame(results, columns=[by, *CLASSIFICATION_METRICS, "rows_excluded"])
    return frame.astype({"rows": int, "positives": int, "rows_excluded": int})


def realised_forecast_performance(forecasts: pd.DataFrame, actuals: pd.DataFrame) -> pd.DataFrame:
    """Scaled error and interval coverage of each forecast over its completed periods.

    Takes ``ml.revenue_forecasts`` rows and the actual closed-won revenue per
    ``segment, grain, period_start, period_end`` (only completed periods). Returns one
    row per ``forecast_date, grain, segment`` with a completed period: ``periods``,
    ``mae``, ``scale``, ``mase`` (= mae / scale), ``coverage_80`` and ``coverage_95``
    (share of actuals inside [lower, upper] and [lower_95, upper_95]).

    The scale is MASE's: the mean absolute change from one period to the next
    (the error of a naive "same as last period" forecast) over the actuals of that
    segment and grain that had ended by the forecast date, i.e. the history the
    forecast could have seen. A MASE below 1 beats that naive forecast. It needs two
    such periods, and a history with no change at all has no scale: NaN in both cases.

    Raises:
        ValueError: a column is missing, an actual period appears twice, or the
            [lower, upper] interval is not the 80% one.
    """
    _require(forecasts, FORECAST_INPUT_COLUMNS, "forecasts")
    _require(actuals, ACTUAL_COLUMNS, "actuals")
    if "interval_level" in forecasts and not np.allclose(forecasts["interval_level"], 0.8):
        raise ValueError("forecasts must give their 80% interval in lower/upper.")
    if actuals.duplicated(KEY).any():
        raise ValueError("actuals must have one row per segment, grain and period_start.")
    done = forecasts.merge(actuals[[*KEY, "actual"]], on=KEY, how="inner")
    done = done.assign(
        error=(done["actual"] - done["forecast"]).abs(),
        in_80=done["actual"].between(done["lower"], done["upper"]),
        in_95=done["actual"].between(done["lower_95"], done["upper_95"]),
    )
    keys = ["forecast_date", "grain", "segment"]
    out = done.groupby(keys, sort=True).agg(
        periods=("error", "size"),
        mae=("error", "mean"),
        coverage_80=("in_80", "mean"),
        coverage_95=("in_95", "mean"),
    )
    out = out.reset_index()
    out["scale"] = [
        _naive_scale(actuals, segment, grain, day)
        for day, grain, segment in out[keys].itertuples(index=False)
    ]
    out["mase"] = out["mae"] / out["scale"]
    return out[[*keys, "periods", "mae", "scale", "mase", "coverage_80", "coverage_95"]]


def _naive_scale(actuals: pd.DataFrame, segment: str, grain: str, day: object) -> float:
    """Mean |y_t - y_(t-1)| over the periods of segment/grain that had ended by ``day``."""
    mine = actuals[(actuals["segment"] == segment) & (actuals["grain"] == grain)]
    seen = mine[pd.to_datetime(mine["period_end"]) <= pd.Timestamp(day)]
    changes = seen.sort_values("period_start")["actual"].diff().abs().dropna()
    scale = float(changes.mean()) if len(changes) else float("nan")
    return scale if scale > 0 else float("nan")


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing the column(s) {', '.join(missing)}.")
