"""Lead scoring's monitoring: what is lead-specific, around the model-agnostic library.

:mod:`ml.monitoring` measures drift and realised performance for any model. What only
lead scoring knows lives here, as pure functions on frames:

- when a lead's label is known: positive if it converted within ``label_window_days``
  of its creation, negative once that window has closed without a conversion, unknown
  before then (not a negative); a score date is judged only when every one of its
  leads has a known label (:func:`realised_lead_performance`);
- which holdout AUC the realised AUC is compared with (:func:`promotion_auc`);
- the night's measurements, verdict and run row are the shared
  :mod:`ml.monitoring.night` (:func:`assess_night`, :func:`run_row`, re-exported here).

The step that reads the warehouse and MLflow and writes ``monitoring.*`` is
``ml.lead_scoring.steps.monitor_lead_model``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ml.monitoring import realised_classification_performance
from ml.monitoring.night import NightAssessment, assess_night, run_row, with_versions

SCORE_COLUMNS = ("lead_id", "score_date", "conversion_probability")
OUTCOME_COLUMNS = ("lead_id", "created_at", "converted_at")


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
    no outcome row for the lead, or no probability). Metrics come from ``ml.metrics``
    through :func:`ml.monitoring.realised_classification_performance`.

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
    converted = known["converted_at"] < window_end  # NaT compares False
    labels = pd.DataFrame(
        {
            "lead_id": known["lead_id"],
            # a lead without a creation time cannot be judged: no label
            "label": converted.astype(object).where(known["created_at"].notna()),
            "known": converted | (window_end <= cutoff),
        }
    )
    scored = scores[list(SCORE_COLUMNS)].merge(labels, on="lead_id", how="left")
    return realised_classification_performance(
        scored, by="score_date", probability="conversion_probability"
    )


def performance_history(
    scores: pd.DataFrame,
    outcomes: pd.DataFrame,
    window: int,
    business_date: dt.date,
    model_name: str,
) -> pd.DataFrame:
    """``monitoring.model_performance`` rows: the realised performance of every matured
    score date, with the version(s) that issued its scores. Empty without scores."""
    if scores.empty:
        return pd.DataFrame()
    realised = realised_lead_performance(scores, outcomes, window, business_date)
    return with_versions(
        realised, scores, model_name=model_name, evaluated_on=business_date,
        label_window_days=window,
    )  # fmt: skip


def promotion_auc(tags: dict[str, str]) -> float | None:
    """The holdout AUC to compare realised AUC with: over the population a night scores
    (every open lead younger than the label window), the same kind of rows as the realised
    figure; versions registered before that tag existed have only ``holdout_auc``."""
    return _float(tags.get("holdout_auc_scored_population") or tags.get("holdout_auc"))


__all__ = [
    "NightAssessment",
    "assess_night",
    "performance_history",
    "promotion_auc",
    "realised_lead_performance",
    "run_row",
]


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _utc(values: pd.Series) -> pd.Series:
    """Timestamps as naive UTC (naive input is taken to be UTC already)."""
    stamps = pd.to_datetime(values)
    return stamps.dt.tz_convert("UTC").dt.tz_localize(None) if stamps.dt.tz else stamps


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing the column(s) {', '.join(missing)}.")
