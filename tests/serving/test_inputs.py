"""The online model inputs (ml.serving.inputs) are the batch's model_inputs, values and
dtypes: on edge values, and on every lead of a real night."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from lead_requests import BUSINESS_DATE

from ml.lead_scoring.features import FeatureSpec
from ml.lead_scoring.features import model_inputs as batch_inputs
from ml.serving.inputs import model_inputs


def test_edge_values_convert_as_the_batch_converts_them():
    frame = pd.DataFrame(
        {
            "count": pd.array([3, None, 0, 7], dtype="Int64"),
            "ratio": [0.5, np.nan, -1.25, 1e300],
            "flag": [True, False, True, False],
            "maybe_flag": pd.array([True, None, False, None], dtype="boolean"),
            "attr_seats": ["12", "n/a", None, " 4 "],
            "source": ["web", None, np.nan, "Zürich"],
            "mixed": [1, "a", 2.5, pd.NA],
            "when": pd.to_datetime(["2024-07-18 00:00", None, "2024-01-01 10:00", None]),
        },
        index=[10, 11, 12, 13],
    )
    spec = FeatureSpec(
        numeric=("count", "ratio", "flag", "maybe_flag", "attr_seats"),
        categorical=("source", "mixed", "when"),
        excluded={},
    )
    got = model_inputs(frame, spec)
    pd.testing.assert_frame_equal(got, batch_inputs(frame, spec), check_exact=True)
    assert got["source"].tolist() == ["web", None, None, "Zürich"]
    assert np.isnan(got["attr_seats"].iloc[1])  # not a number: missing, as in the batch
    assert model_inputs(frame.iloc[:0], spec).empty


def test_a_missing_column_is_named():
    spec = FeatureSpec(numeric=("count", "gone"), categorical=(), excluded={})
    with pytest.raises(KeyError, match="lacks columns the model was trained on: gone"):
        model_inputs(pd.DataFrame({"count": [1]}), spec)


def test_the_nights_leads_get_the_batch_inputs(night, holder):
    spec = holder.current.model.spec
    path = night.home / "warehouse" / "work" / "salespipe_work.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        features = con.execute(
            "select * from marts.lead_features where as_of_date = ? order by lead_id",
            [BUSINESS_DATE],
        ).df()
    assert len(features) > 100
    got = model_inputs(features, spec)
    pd.testing.assert_frame_equal(got, batch_inputs(features, spec), check_exact=True)
    one = features.iloc[[7]]  # one lead, as a request of one lead builds it
    expected = batch_inputs(one, spec)
    pd.testing.assert_frame_equal(model_inputs(one, spec), expected, check_exact=True)
