"""The online factors (ml.serving.factors) are the batch's factors, byte for byte: every
document, written as JSON, equals the batch's ``factors_json`` of ``top_factor_rows``."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest
from lead_requests import BUSINESS_DATE

from ml.lead_scoring.features import model_inputs, readable_name
from ml.modelling.model import factors_json, top_factor_rows
from ml.serving.factors import factor_documents


def _written(documents: list[dict]) -> list[str]:
    return [json.dumps(d, separators=(",", ":"), ensure_ascii=False) for d in documents]


def _batch(contributions, inputs, features, k, margin) -> list[str]:
    long = top_factor_rows(contributions, inputs, features, k, margin, readable=readable_name)
    return list(factors_json(long, len(inputs)))


@pytest.mark.parametrize("k", [1, 3, 5, 40])
def test_edge_values_write_as_the_batch_writes_them(k):
    rng = np.random.default_rng(7)
    n = 60
    inputs = pd.DataFrame(
        {
            "whole": rng.integers(0, 50, n).astype("float64"),
            "fraction": rng.normal(size=n) * 1000,
            "sometimes_missing": np.where(rng.random(n) < 0.4, np.nan, rng.random(n)),
            "big": rng.choice([1e6, 123456789.5, 1e-3, -0.5, np.inf], n),
            "text": rng.choice(["Zürich", "a/b", 'say "hi"', "tab\there", "\x01ctl", None], n),
            "all_missing": pd.Series([None] * n, dtype="object"),
        }
    )
    features = list(inputs.columns)
    contributions = (
        rng.normal(size=(n, len(features))) * rng.choice([1e-7, 1e-4, 0.3, 5], n)[:, None]
    )
    contributions[::7] = 0.0  # rows without any factor
    contributions[3, :3] = 0.25  # ties
    margin = contributions.sum(axis=1) - 1.2
    got = _written(factor_documents(contributions, inputs, features, k, margin))
    assert got == _batch(contributions, inputs, features, k, margin)


@pytest.mark.parametrize("k", [1, 5, 100])
def test_the_nights_leads_get_the_batch_factors_byte_for_byte(night, holder, k):
    model = holder.current.model
    path = night.home / "warehouse" / "work" / "salespipe_work.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        features = con.execute(
            "select * from marts.lead_features where as_of_date = ? order by lead_id",
            [BUSINESS_DATE],
        ).df()
    inputs = model_inputs(features, model.spec)
    contributions, bias = model.contributions(inputs)
    margin = contributions.sum(axis=1) + bias
    got = _written(factor_documents(contributions, inputs, model.spec.columns, k, margin))
    assert len(got) == len(features) > 100
    assert got == _batch(contributions, inputs, model.spec.columns, k, margin)
