"""Data and prediction drift: verdicts per feature, explicit outcomes for odd columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.monitoring import DriftConfig, measure_data_drift, measure_prediction_drift
from ml.monitoring.columns import ROW_COLUMNS

N = 2_000
CONFIG = DriftConfig(reference_sample_size=1_500, current_sample_size=1_500)


def features(seed: int, *, shift: float = 0.0) -> pd.DataFrame:
    """Lead-feature-like columns; ``shift`` moves employees and the source mix."""
    r = np.random.default_rng(seed)
    paid = 0.2 + shift * 0.3
    return pd.DataFrame(
        {
            "employees": np.round(np.exp(r.normal(np.log(150) + shift, 1.0, N))),
            "source": r.choice(["web", "paid_search", "referral"], N, p=[0.6 - paid, paid, 0.4]),
            "activities_total": r.poisson(8, N),
            "is_free_email_domain": r.random(N) < 0.2,
            "title": np.where(r.random(N) < 0.1, None, r.choice(["CEO", "Analyst"], N)),
            "attr_seats_requested": pd.array(
                np.where(r.random(N) < 0.7, None, r.integers(1, 50, N)), dtype="Int64"
            ),
        }
    )


@pytest.fixture(scope="module")
def quiet():
    return measure_data_drift(features(1), features(2), list(features(1).columns), CONFIG)


@pytest.fixture(scope="module")
def odd():
    """A drifted pair with every awkward kind of column."""
    reference, current = features(1), features(2, shift=1.0)
    reference = reference.assign(
        gone=1.0,
        empty_now=np.arange(N, dtype=float),
        empty_both=np.nan,
        retyped=np.arange(N) % 3,
        to_text=np.arange(N) % 3,
        created=pd.Timestamp("2024-01-01"),
        budget=np.where(np.arange(N) % 10 == 0, None, "yes"),
    )
    current = current.assign(
        new=1.0,
        empty_now=None,
        empty_both=None,
        retyped=(np.arange(N) % 3).astype(str),  # the same numbers, delivered as text
        to_text=np.where(np.arange(N) % 3 == 0, "n/a", "1"),
        created=pd.Timestamp("2024-06-01"),
        budget=np.where(np.arange(N) % 2 == 0, None, "yes"),  # nulls from 10% to 50%
    )
    columns = [*features(1).columns, "gone", "new", "empty_now", "empty_both", "retyped", "to_text"]
    columns += ["created", "budget"]
    return measure_data_drift(reference, current, columns, CONFIG)


def row(result, feature: str) -> pd.Series:
    return result.rows.set_index("feature").loc[feature]


def test_a_quiet_night_has_no_drifted_feature(quiet):
    assert list(quiet.rows.columns) == ROW_COLUMNS
    assert not quiet.rows["drifted"].any() and quiet.share_drifted == 0 and not quiet.drifted
    assert (quiet.rows["drift_score"] < quiet.rows["threshold"]).all()
    assert quiet.snapshot is not None


def test_each_feature_gets_the_test_of_its_kind_on_the_sampled_rows(quiet):
    tests = quiet.rows.set_index("feature")["stattest"]
    assert tests["employees"] == tests["activities_total"] == "wasserstein"
    assert tests["source"] == tests["is_free_email_domain"] == tests["title"] == "jensenshannon"
    assert row(quiet, "attr_seats_requested")["kind"] == "numeric"  # nullable integers
    assert row(quiet, "source")["reference_rows"] == 1_500  # the configured sample
    assert row(quiet, "attr_seats_requested")["reference_rows"] < 600  # non-null values only


def test_shifted_company_sizes_and_sources_drift(odd):
    assert row(odd, "employees")["drifted"] and row(odd, "source")["drifted"]
    assert not row(odd, "activities_total")["drifted"]
    assert odd.share_drifted == pytest.approx(odd.rows["drifted"].mean())
    assert odd.drifted


@pytest.mark.parametrize(
    ("feature", "drifted", "note"),
    [
        ("gone", True, "missing in current"),
        ("new", True, "missing in reference"),
        ("empty_now", True, "all null in current"),
        ("empty_both", False, "all null on both sides"),
        ("created", False, "dates and times are not compared"),
    ],
)
def test_columns_that_cannot_be_compared_get_an_explicit_verdict(odd, feature, drifted, note):
    found = row(odd, feature)
    assert found["drifted"] == drifted and found["note"] == note
    assert np.isnan(found["drift_score"]) and found["stattest"] is None


def test_numbers_delivered_as_text_are_read_as_numbers_or_flagged(odd):
    retyped = row(odd, "retyped")
    assert retyped["stattest"] == "wasserstein" and not retyped["drifted"]
    assert retyped["note"] == "text in current read as numbers"
    to_text = row(odd, "to_text")
    assert (
        to_text["drifted"]
        and to_text["note"] == "numeric on one side, text in current: not comparable"
    )


def test_a_jump_in_the_share_of_nulls_is_drift(odd):
    assert row(odd, "budget")["drifted"]


def test_the_caller_can_say_which_features_are_numbers():
    reference = pd.DataFrame({"seats": ["10", "12", None, "11"] * 100, "tier": [1, 2, 1, 2] * 100})
    current = reference.assign(seats=["10", "12", "n/a", "11"] * 100)
    result = measure_data_drift(reference, current, ["seats", "tier"], CONFIG, numeric=["seats"])
    seats, tier = row(result, "seats"), row(result, "tier")
    assert seats["kind"] == "numeric" and seats["stattest"] == "wasserstein"
    assert seats["note"] == "100 values that are not numbers left out" and not seats["drifted"]
    assert tier["kind"] == "categorical" and tier["stattest"] == "jensenshannon"


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ([], "no features"),
        (["source", "source"], "listed more than once: source"),
        (["nowhere"], "'nowhere' is in neither"),
    ],
)
def test_bad_feature_lists_raise(names, message):
    with pytest.raises(ValueError, match=message):
        measure_data_drift(features(1), features(2), names, CONFIG)


def test_prediction_drift_flags_shifted_scores_only():
    r = np.random.default_rng(0)
    reference = 1 / (1 + np.exp(-r.normal(-2, 1, N)))
    same = measure_prediction_drift(reference, 1 / (1 + np.exp(-r.normal(-2, 1, N))), CONFIG)
    hotter = measure_prediction_drift(reference, 1 / (1 + np.exp(-r.normal(-1, 1, N))), CONFIG)
    assert list(same.rows["feature"]) == ["prediction"] and same.rows["stattest"][0] == "psi"
    assert not same.drifted and hotter.drifted
    assert hotter.rows["drift_score"][0] >= CONFIG.prediction_threshold


def test_no_scores_tonight_is_not_prediction_drift():
    result = measure_prediction_drift(np.linspace(0, 1, 50), [], CONFIG)
    assert not result.drifted and result.rows["note"][0] == "no rows in current"
    with pytest.raises(ValueError, match="one-dimensional"):
        measure_prediction_drift(np.ones((3, 2)), [0.1], CONFIG)
