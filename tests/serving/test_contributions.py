"""The online contributions (ml.serving.contributions) are the model's own, bit for bit:
a logistic regression fitted on the night's leads, on every lead and on values it never
saw (a new category, missing values); and the night's champion, whatever it is."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from lead_requests import BUSINESS_DATE

from ml.lead_scoring.features import model_inputs
from ml.modelling.fit import fit_logistic
from ml.modelling.params import LogisticParams
from ml.serving.contributions import contributions

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def inputs(night, holder) -> pd.DataFrame:
    path = night.home / "warehouse" / "work" / "salespipe_work.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        features = con.execute(
            "select * from marts.lead_features where as_of_date <= ? order by lead_id, as_of_date",
            [BUSINESS_DATE],
        ).df()
    return model_inputs(features, holder.current.model.spec)


def assert_bit_identical(model, rows: pd.DataFrame) -> None:
    got, got_bias = contributions(model, rows)
    expected, expected_bias = model.contributions(rows)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert got.tobytes() == expected.tobytes()
    assert np.asarray(got_bias).tobytes() == np.asarray(expected_bias).tobytes()


def test_a_logistic_regression_gets_its_own_contributions_on_every_row_and_edge(inputs, holder):
    spec = holder.current.model.spec
    labels = (np.arange(len(inputs)) % 3 == 0).astype(int)
    model = fit_logistic(inputs, labels, spec, LogisticParams())
    model.platt_slope, model.platt_intercept = 0.8, -0.3
    assert_bit_identical(model, inputs)
    assert_bit_identical(model, inputs.iloc[[5]])
    edge = inputs.iloc[:4].copy()
    for column in spec.categorical:
        edge[column] = ["never seen", None, edge[column].iloc[2], None]
    for column in spec.numeric:
        edge.loc[edge.index[1], column] = np.nan
    assert_bit_identical(model, edge)
    assert_bit_identical(model, inputs.iloc[:0])


def test_the_nights_champion_gets_its_own_contributions(inputs, holder):
    assert_bit_identical(holder.current.model, inputs.iloc[:500])
