"""Realised performance: how good the scores and forecasts were, once the truth is known.

Lead scores are judged when their labels have matured: a lead is positive if it
converted within ``label_window_days`` of its creation, negative once that window
has closed without a conversion, and unknown before then (not a negative). A score
date is reported only when every one of its leads has a known label.

Forecasts are judged on the periods that have since completed (those in ``actuals``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ml.metrics import ClassificationMetrics, classification_metrics

SCORE_COLUMNS = ("lead_id", "score_date", "conversion_probability")
OUTCOME_COLUMNS = ("lead_id", "created_at", "converted_at")
FORECAST_COLUMNS = (
    "forecast_date", "segment", "grain", "period_start", "forecast",
    "lower", "upper", "lower_95", "upper_95",
)  # fmt: skip
ACTUAL_COLUMNS = ("segment", "grain", "period_start", "period_end", "actual")
KEY = ["segment", "grain", "period_start"]
LEAD_METRICS = list(ClassificationMetrics.__dataclass_fields__)


def realised_lead_performance(
    scores: pd.DataFrame, outcomes: pd.DataFrame, label_window_days: int, as_of: dt.date
) -> pd.DataFrame:
    """AUC, calibration and lift of past scores whose labels have all matured by ``as_of``.

    Takes ``ml.lead_scores`` rows (``lead_id, score_date, conversion_probability``) and
    one outcome row per lead (``lead_id, created_at, converted_at``; ``converted_at``
    null if it has not converted). Only what was known by the end of ``as_of`` counts,
    so a backfill sees what that night saw. Returns one row per matured score date:
    ``score_date, rows, positives, roc_auc, pr_auc, log_loss, brier,
    expected_calibration_error, top_decile_lift, rows_excluded`` (scored rows left out:
    no outcome row for the lead, or no probability). Metrics come from ``ml.metrics``.

    Raises:
        ValueError: a column is missing, ``label_window_days`` < 1, or a lead has
            more than one outcome row.
    """
    _require(scores, SCORE_COLUMNS, "scores")
    _require(outcomes, OUTCOME_COLUMNS, "outcomes")
    if isinstance(label_window_days, bool) or label_window_days < 1:
        raise ValueError(f"label_window_days must be at least 1, got {label_window_days!r}.")
    if outcomes["lead_id"].duplicated().any():
        raise ValueError("outcomes must have one row per lead; some lead_id appear twice.")
    cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1)  # the end of as_of
    known = outcomes[list(OUTCOME_COLUMNS)].assign(
        created_at=_utc(outcomes["created_at"]), converted_at=_utc(outcomes["converted_at"])
    )
    known.loc[known["converted_at"] >= cutoff, "converted_at"] = pd.NaT  # not known yet
    window_end = known["created_at"] + pd.Timedelta(days=label_window_days)
    known["label"] = known["converted_at"] < window_end  # NaT compares False
    known["matured"] = known["label"] | (window_end <= cutoff)

    scored = scores[list(SCORE_COLUMNS)].merge(known, on="lead_id", how="left")
    usable = scored["created_at"].notna() & scored["conversion_probability"].notna()
    results = []
    for score_date, day in scored.groupby("score_date", sort=True):
        rows = day[usable.loc[day.index]]
        if rows.empty or not rows["matured"].astype(bool).all():
            continue
        found = classification_metrics(
            rows["label"].to_numpy(dtype=float), rows["conversion_probability"].to_numpy(float)
        )
        results.append(
            {"score_date": score_date, **found.as_dict(), "rows_excluded": len(day) - len(rows)}
        )
    columns = ["score_date", *LEAD_METRICS, "rows_excluded"]
    frame = pd.DataFrame(results, columns=columns)
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
    _require(forecasts, FORECAST_COLUMNS, "forecasts")
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


def _utc(values: pd.Series) -> pd.Series:
    """Timestamps as naive UTC (naive input is taken to be UTC already)."""
    stamps = pd.to_datetime(values)
    return stamps.dt.tz_convert("UTC").dt.tz_localize(None) if stamps.dt.tz else stamps


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing the column(s) {', '.join(missing)}.")
