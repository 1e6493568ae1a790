"""From the pipeline marts to the deal models' inputs and labels.

A training row is a snapshot of an open deal on some as-of date (a row of
``marts.opportunity_features``), labelled with what then became of the deal
(``marts.opportunity_outcomes``):

- ``won``: 1 if the deal was won, 0 if lost. A deal still open is censored and left
  out, never counted as a loss.
- ``slipped``: 1 if the deal was not closed (won or lost) by the end of the close date
  it had on the as-of date. Known once the deal has closed, or once that close date has
  passed by the business date; otherwise censored (no label).

Only deals created at least ``maturity_days`` before the business date train or judge
(label maturity), so recent deals, most of which are still open, do not make the
holdout the deals that closed fast.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from ml.modelling.features import FeatureSpec
from ml.modelling.features import model_inputs as generic_model_inputs

SOURCE = "opportunity_features"
WON, SLIPPED = "won", "slipped"
# Durations enter on a log scale (``log_<column>``, from ``with_derived``): how long a deal
# takes is heavy-tailed, and on the log scale its effect on the odds is closer to linear
# (measured in docs/deal-scoring.md; trees are unaffected, the logistic model ranks better).
LOGGED = (
    "days_in_stage", "days_in_stage_vs_median", "age_days", "days_since_last_activity",
    "account_days_since_last_activity",
)  # fmt: skip
LOG_PREFIX = "log_"
NUMERIC = (
    "stage_index", "log_days_in_stage", "stage_median_days", "log_days_in_stage_vs_median",
    "log_age_days", "amount_in_default_currency", "amount_change_in_default_currency",
    "days_to_close_date", "close_date_pushes", "close_date_days_pushed", "activities_7d",
    "activities_30d", "log_days_since_last_activity", "account_activities_7d",
    "account_activities_30d", "log_account_days_since_last_activity", "owner_closed_deals",
    "owner_win_rate", "account_employees",
)  # fmt: skip
CATEGORICAL = ("stage", "product", "region", "account_industry", "close_quarter")
# Derived from the snapshot's own close date (point in time): deals due in a strong
# quarter win more often, and the mix of quarters moves with the calendar, so without it
# a model calibrated on one season is off on the next (docs/deal-scoring.md).
CLOSE_QUARTER = "close_quarter"
# The columns a night's open deals must carry besides the features.
IDENTITY = ("opportunity_id", "as_of_date", "created_at", "close_date")

READABLE_NAMES = {
    "stage_index": "Stage (position)",
    "days_in_stage": "Days in the current stage",
    "stage_median_days": "Usual days in this stage",
    "days_in_stage_vs_median": "Time in stage vs usual",
    "age_days": "Deal age (days)",
    "amount_in_default_currency": "Amount",
    "amount_change_in_default_currency": "Amount change since creation",
    "days_to_close_date": "Days to the close date",
    "close_date_pushes": "Times the close date was pushed",
    "close_date_days_pushed": "Days the close date was pushed",
    "activities_7d": "Activities on the deal, last 7 days",
    "activities_30d": "Activities on the deal, last 30 days",
    "days_since_last_activity": "Days since the last activity",
    "account_activities_7d": "Account activities, last 7 days",
    "account_activities_30d": "Account activities, last 30 days",
    "account_days_since_last_activity": "Days since the account's last activity",
    "owner_closed_deals": "Owner's closed deals",
    "owner_win_rate": "Owner's win rate",
    "account_employees": "Account employees",
    "stage": "Stage",
    "product": "Product",
    "region": "Region",
    "account_industry": "Industry",
    "close_quarter": "Quarter of the close date",
}


def readable_name(feature: str) -> str:
    """A deal feature in words a rep understands (``days_to_close_date`` -> "Days to the
    close date"); a logged duration is named as the duration (its factor shows the days)."""
    if feature.startswith(LOG_PREFIX) and feature[len(LOG_PREFIX) :] in LOGGED:
        feature = feature[len(LOG_PREFIX) :]
    return READABLE_NAMES.get(feature, feature.replace("_", " ").capitalize())


def with_close_quarter(features: pd.DataFrame) -> pd.DataFrame:
    """``features`` with ``close_quarter`` ("Q1".."Q4", null without a close date) from
    each row's ``close_date``; unchanged when there is no ``close_date`` column."""
    if "close_date" not in features.columns:
        return features
    quarter = pd.to_datetime(features["close_date"]).dt.quarter
    return features.assign(**{CLOSE_QUARTER: ("Q" + quarter.astype("Int64").astype(str)).where(
        quarter.notna(), None)})  # fmt: skip


def with_derived(features: pd.DataFrame) -> pd.DataFrame:
    """``features`` with the derived model columns: ``close_quarter``
    (:func:`with_close_quarter`) and ``log_<column>`` = log(1 + days) of every duration in
    ``LOGGED`` it carries (negative days count as 0; missing stays missing)."""
    features = with_close_quarter(features)
    logged = {
        f"{LOG_PREFIX}{column}": np.log1p(
            np.maximum(pd.to_numeric(features[column], errors="coerce").astype("float64"), 0.0)
        )
        for column in LOGGED
        if column in features.columns
    }
    return features.assign(**logged) if logged else features


def shown_values(inputs: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """``inputs`` (model inputs of ``features``' rows) with every ``log_<column>`` put back
    to the column's own value, for the factors a rep reads ("Days in the current stage: 40",
    not its logarithm)."""
    shown = inputs.copy()
    for column in inputs.columns:
        raw = column[len(LOG_PREFIX) :]
        if column.startswith(LOG_PREFIX) and raw in LOGGED and raw in features.columns:
            shown[column] = pd.to_numeric(features[raw], errors="coerce").to_numpy(dtype=float)
    return shown


def deal_spec(
    features: pd.DataFrame, leakage: frozenset[str] | set[str] = frozenset()
) -> FeatureSpec:
    """The deal features present in ``features`` (a mart frame), less ``leakage``.

    Raises:
        ValueError: the frame carries none of the deal features.
    """
    features = with_derived(features)
    numeric = tuple(c for c in NUMERIC if c in features.columns and c not in leakage)
    categorical = tuple(c for c in CATEGORICAL if c in features.columns and c not in leakage)
    if not numeric and not categorical:
        raise ValueError(
            f"{SOURCE} holds none of the deal features ({', '.join(NUMERIC + CATEGORICAL)})"
        )
    excluded = {
        c: "not a deal feature" if c not in LOGGED else "enters on a log scale"
        for c in features.columns
        if c not in NUMERIC + CATEGORICAL
    }
    excluded.update({c: "marked as leakage" for c in leakage if c in features.columns})
    return FeatureSpec(numeric, categorical, excluded)


def model_inputs(features: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """``opportunity_features`` rows as model inputs.

    Raises:
        KeyError: a column the model was trained on is missing (the mart changed shape).
    """
    return generic_model_inputs(with_derived(features), spec, SOURCE)


def labelled_snapshots(
    features: pd.DataFrame, outcomes: pd.DataFrame, business_date: date, maturity_days: int
) -> pd.DataFrame:
    """The mature deals' snapshots with ``won`` and ``slipped`` labels.

    Args:
        features: ``opportunity_features`` rows (with opportunity_id, as_of_date,
            created_at, close_date).
        outcomes: ``opportunity_outcomes`` rows (opportunity_id, outcome, closed_on).
        business_date: the last day whose events are known.
        maturity_days: a deal counts once created at least this many days before it.

    Returns:
        Snapshots of mature deals, each with ``won`` (1/0; NaN while the deal is open),
        ``slipped`` (1/0; NaN while unknown) and the deal's ``closed_on`` (NaT if
        open), ordered by the deal's creation, then the deal, then the as-of date.

    Raises:
        ValueError: a required column is missing.
    """
    for name, frame, needed in (
        ("features", features, IDENTITY),
        ("outcomes", outcomes, ("opportunity_id", "outcome", "closed_on")),
    ):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} is missing the column(s) {', '.join(missing)}.")
    cutoff = pd.Timestamp(business_date - timedelta(days=maturity_days))
    rows = features.loc[pd.to_datetime(features["created_at"]) < cutoff]
    ended = outcomes.set_index("opportunity_id")
    outcome = rows["opportunity_id"].map(ended["outcome"])
    closed_on = pd.to_datetime(rows["opportunity_id"].map(ended["closed_on"]))
    close_date = pd.to_datetime(rows["close_date"])
    closed = outcome.isin(["won", "lost"]).to_numpy()
    won = np.where(closed, (outcome == "won").to_numpy(dtype=float), np.nan)
    late = (closed_on > close_date).to_numpy()
    due_passed = (close_date < pd.Timestamp(business_date)).to_numpy()
    slipped = np.where(closed, late.astype(float), np.where(due_passed, 1.0, np.nan))
    slipped[close_date.isna().to_numpy()] = np.nan
    out = rows.assign(**{WON: won, SLIPPED: slipped, "closed_on": closed_on.to_numpy()})
    return out.sort_values(
        ["created_at", "opportunity_id", "as_of_date"], kind="stable"
    ).reset_index(drop=True)


def sufficiency(rows: pd.DataFrame) -> tuple[int, int]:
    """(won deals, lost deals) among the labelled rows, counted per deal."""
    per_deal = rows.dropna(subset=[WON]).groupby("opportunity_id", sort=False)[WON].max()
    won = int(np.count_nonzero(per_deal.to_numpy()))
    return won, int(len(per_deal)) - won
