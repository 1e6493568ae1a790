"""Lead scoring's factors in words: its features' names as a rep reads them, over the
shared factor table (:mod:`ml.modelling.factors`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.modelling import factors
from ml.modelling.factors import MIN_IMPACT, display_values, factors_json, probability_effect

__all__ = [
    "MIN_IMPACT",
    "READABLE_NAMES",
    "display_values",
    "factors_json",
    "probability_effect",
    "readable_name",
    "top_factor_rows",
]

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
    return factors.humanize(feature)


def top_factor_rows(
    contributions: np.ndarray,
    inputs: pd.DataFrame,
    features: list[str],
    k: int,
    margin: np.ndarray | None = None,
) -> pd.DataFrame:
    """Every lead's top ``k`` positive and negative factors, labelled by
    :func:`readable_name` (:func:`ml.modelling.factors.top_factor_rows`)."""
    return factors.top_factor_rows(contributions, inputs, features, k, margin, readable_name)
