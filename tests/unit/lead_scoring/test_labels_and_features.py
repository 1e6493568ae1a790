"""Labels are known only once a lead's window has closed; leakage never becomes a feature."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from ml.lead_scoring.features import LABEL, feature_spec, labelled_snapshots, model_inputs
from ml.lead_scoring.steps.training_rows import read_leakage_columns

D = date(2024, 12, 31)


def one_lead_each(cases: dict[str, tuple[str, str | None]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = list(cases)
    features = pd.DataFrame(
        {
            "lead_id": ids,
            "as_of_date": [pd.Timestamp(cases[i][0]) for i in ids],
            "created_at": [pd.Timestamp(cases[i][0]) for i in ids],
        }
    )
    outcomes = pd.DataFrame(
        {"lead_id": ids, "converted_at": [pd.Timestamp(cases[i][1]) for i in ids]}
    )
    return features, outcomes


def test_label_maturity_keeps_closed_windows_only():
    features, outcomes = one_lead_each(
        {
            "converted_inside_closed_window": ("2024-09-01", "2024-10-15"),
            "converted_after_the_window": ("2024-09-01", "2024-12-15"),  # day 105
            "never_converted_window_closed": ("2024-09-01", None),
            "window_closes_on_the_business_date": ("2024-10-02", None),  # created + 90 = D
            "converted_but_window_still_open": ("2024-11-01", "2024-11-20"),
            "open_and_young": ("2024-12-01", None),
        }
    )
    rows = labelled_snapshots(features, outcomes, D, label_window_days=90)
    assert dict(zip(rows["lead_id"], rows[LABEL], strict=True)) == {
        "converted_inside_closed_window": True,
        "converted_after_the_window": False,
        "never_converted_window_closed": False,
        "window_closes_on_the_business_date": False,
    }


def test_a_young_positive_is_left_out_not_counted_early():
    features, outcomes = one_lead_each({"young": ("2024-12-20", "2024-12-22")})
    assert labelled_snapshots(features, outcomes, D, label_window_days=90).empty
    # ... and counts once its window has closed
    later = date(2025, 3, 20)
    assert labelled_snapshots(features, outcomes, later, label_window_days=90)[LABEL].tolist() == [
        True
    ]


def test_feature_spec_refuses_ids_times_and_leakage(leads):
    features, _ = leads
    spec = feature_spec(features, leakage={"attr_budget_confirmed"})
    assert "attr_budget_confirmed" not in spec.columns
    assert spec.excluded["attr_budget_confirmed"] == "marked as leakage"
    for column in ("lead_id", "as_of_date", "created_at", "account_id", "title"):
        assert column not in spec.columns
    # a custom field delivered as text that holds only numbers is numeric
    assert "attr_seats_requested" in spec.numeric
    assert {"source", "industry", "status"} <= set(spec.categorical)


def test_model_inputs_name_missing_columns(leads):
    features, _ = leads
    spec = feature_spec(features, leakage=set())
    try:
        model_inputs(features.drop(columns="source"), spec)
    except KeyError as exc:
        assert "lead_features lacks columns the model was trained on: source" in str(exc)
    else:
        raise AssertionError("expected a KeyError")


def test_leakage_columns_come_from_the_mapping_marker(tmp_path):
    assert read_leakage_columns(tmp_path) == set()
    (tmp_path / "_mapping.json").write_text(
        json.dumps(
            {"leakage_columns": {"leads": ["attr_engaged_after_call"], "opportunities": ["x"]}}
        )
    )
    assert read_leakage_columns(tmp_path) == {"attr_engaged_after_call"}
