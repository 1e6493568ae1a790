"""From the ``lead_features`` mart to model inputs and labels, and the features' names in
words (:func:`readable_name`, the labels of a lead's top factors).

A model scores leads that are still open, as of the scoring night. So a training row is
a snapshot of an open lead as of some night (a row of ``lead_features``), not the lead
at the end of its life, and its label is what then became of the lead:

    label = the lead converted within ``label_window_days`` of its creation

A lead whose window has not closed by the business date is **not** a negative: it may
still convert. Its snapshots are left out of training altogether (positives too, or the
recent leads would look better than they are). A snapshot taken after its lead's window
has closed is left out too: such a lead can no longer be a positive, so its snapshots
are easy negatives that age alone separates, and they inflated the holdout figures.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from ml.modelling.features import FeatureSpec
from ml.modelling.features import model_inputs as generic_model_inputs
from ml.modelling.model import humanize

# Columns of lead_features that identify or time a row, or are free text: never features.
NON_FEATURE_COLUMNS = frozenset(
    {"lead_id", "as_of_date", "created_at", "lead_version_updated_at", "title", "account_id"}
)
LABEL = "converted_in_window"
# An export whose leads were created on fewer distinct days than this has no dates of its
# own (they are the delivery date): no label window can apply to it.
MIN_DATED_DAYS = 20
# An export of outcomes shows each lead as it ended: its status is the outcome, and how
# long ago it was created or last touched says when the export was taken, not what the
# lead was like. None of these may be a feature of a final-state model.
FINAL_STATE_LEAKAGE = frozenset(
    {"status", "lead_age_days", "days_since_last_activity", "activities_last_14_days"}
)

# The features in words, as a rep reads them in a lead's top factors.
READABLE_NAMES = {
    "lead_age_days": "Lead age (days)",
    "employees": "Company employees",
    "is_free_email_domain": "Free e-mail domain",
    "activities_total": "Activities so far",
    "activities_email": "E-mails so far",
    "activities_call": "Calls so far",
    "activities_meeting": "Meetings so far",
    "activities_demo": "Demos held",
    "activities_web_visit": "Web visits so far",
    "activities_last_14_days": "Activities in the last 14 days",
    "days_since_last_activity": "Days since last activity",
    "source": "Lead source",
    "status": "Lead status",
    "title_seniority": "Seniority",
    "company_size_band": "Company size",
    "industry": "Industry",
    "country": "Country",
    "owner_rep_id": "Owner (rep id)",
}


def readable_name(feature: str) -> str:
    """A label for a feature: known names by hand, custom ``attr_x_y`` as "X y (custom field)"."""
    if feature in READABLE_NAMES:
        return READABLE_NAMES[feature]
    if feature.startswith("attr_"):
        return feature[5:].replace("_", " ").capitalize() + " (custom field)"
    return humanize(feature)


def feature_spec(features: pd.DataFrame, leakage: frozenset[str] | set[str]) -> FeatureSpec:
    """Split the mart's columns into numeric and categorical features.

    ``leakage`` holds columns a mapping or the configuration marks as leaking the outcome;
    they are never features, whatever their type. Booleans count as numeric (0/1), and
    so does a custom ``attr_*`` field (delivered as text) whose every value is a number.
    """
    numeric: list[str] = []
    categorical: list[str] = []
    excluded: dict[str, str] = {}
    for column in features.columns:
        if column in NON_FEATURE_COLUMNS:
            excluded[column] = "identifier, timestamp or free text"
        elif column in leakage:
            excluded[column] = "marked as leakage"
        elif _is_numeric(features[column]):
            numeric.append(column)
        else:
            categorical.append(column)
    return FeatureSpec(tuple(numeric), tuple(categorical), excluded)


def _is_numeric(values: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return True
    if not str(values.name).startswith("attr_"):
        return False
    present = values.dropna()
    if present.empty:
        return False
    sample = present.sample(min(len(present), 10_000), random_state=0)
    return bool(pd.to_numeric(sample, errors="coerce").notna().all())


def model_inputs(features: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """``lead_features`` rows as model inputs (:func:`ml.modelling.features.model_inputs`).

    Raises:
        KeyError: a column the model was trained on is missing (the mart changed shape).
    """
    return generic_model_inputs(features, spec, "lead_features")


def labelled_snapshots(
    features: pd.DataFrame,
    outcomes: pd.DataFrame,
    business_date: date,
    label_window_days: int,
) -> pd.DataFrame:
    """Snapshots whose label is known by ``business_date``, with the label column.

    Args:
        features: ``lead_features`` rows (at least lead_id, as_of_date, created_at).
        outcomes: ``lead_outcomes`` rows (lead_id, converted_at) as of ``business_date``.
        business_date: the last day whose events are known.
        label_window_days: the label's window after creation.

    Returns:
        The mature rows of ``features`` taken while their window was still open, with a
        boolean ``converted_in_window`` column, ordered by creation time then as-of date.
    """
    window = pd.Timedelta(days=label_window_days)
    known_until = pd.Timestamp(business_date + timedelta(days=1))
    converted_at = features["lead_id"].map(outcomes.set_index("lead_id")["converted_at"])
    created_at = pd.to_datetime(features["created_at"])
    window_closes = created_at + window
    # the snapshot shows the lead at the end of its as-of date
    taken_at = pd.to_datetime(features["as_of_date"]) + pd.Timedelta(days=1)
    mature = ((window_closes <= known_until) & (taken_at <= window_closes)).to_numpy()
    label = (converted_at.notna() & (pd.to_datetime(converted_at) < window_closes)).to_numpy()
    rows = features.loc[mature].copy()
    rows[LABEL] = label[mature]
    return rows.sort_values(["created_at", "lead_id", "as_of_date"], kind="stable").reset_index(
        drop=True
    )


def sufficiency(rows: pd.DataFrame) -> tuple[int, int]:
    """(mature leads, of which converted in the window), counted per lead, not per snapshot."""
    per_lead = rows.groupby("lead_id", sort=False)[LABEL].max()
    return int(len(per_lead)), int(np.count_nonzero(per_lead.to_numpy()))


def final_state_rows(
    states: pd.DataFrame, business_date: date, label_window_days: int
) -> pd.DataFrame:
    """Training rows of an export of outcomes: every lead once, labelled by its outcome.

    Args:
        states: ``lead_final_states`` rows with ``converted_at`` from ``lead_outcomes``.
        business_date: the last day whose events are known.
        label_window_days: the label's window after creation.

    Returns:
        The rows with a boolean ``converted_in_window`` column, ordered by creation time
        (as ``split_rows`` expects). When the export dates its leads (creation on at least
        ``MIN_DATED_DAYS`` distinct days), the label window applies as for snapshots: a
        lead still inside it is left out, and a conversion counts within it. An export
        without dates (every lead created on the delivery date) is its own final word:
        converted or not, no window.
    """
    rows = states.copy()
    converted_at = pd.to_datetime(rows["converted_at"])
    created_at = pd.to_datetime(rows["created_at"])
    if created_at.dt.normalize().nunique() >= MIN_DATED_DAYS:
        window_closes = created_at + pd.Timedelta(days=label_window_days)
        known_until = pd.Timestamp(business_date + timedelta(days=1))
        rows[LABEL] = (converted_at.notna() & (converted_at < window_closes)).to_numpy()
        rows = rows.loc[(window_closes <= known_until).to_numpy()]
    else:
        rows[LABEL] = converted_at.notna().to_numpy()
    return rows.sort_values(["created_at", "lead_id"], kind="stable").reset_index(drop=True)
