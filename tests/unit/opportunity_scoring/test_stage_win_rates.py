"""The stage win rates, by hand on small frames: bands of time in stage and of amount,
weights by value, shrinkage, and the factors the fallback gives a rep."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ml.opportunity_scoring.features import WON
from ml.opportunity_scoring.score import stage_rate_factors
from ml.opportunity_scoring.stage_win_rates import (
    StageWinRates,
    amount_band,
    fit_stage_win_rates,
    time_band,
    value_weight,
)

USUAL, TWICE = "within the usual time", "up to twice the usual time"
OVER = "over twice the usual time"


def test_time_in_stage_falls_in_three_bands_and_unknown_stays_unknown():
    deals = pd.DataFrame({"days_in_stage_vs_median": [0.5, 1.0, 1.5, 2.0, 2.01, None]})
    assert time_band(deals).tolist() == [USUAL, USUAL, TWICE, TWICE, OVER, None]
    assert time_band(pd.DataFrame({"stage": ["x"]})).tolist() == [None]


def test_a_deal_without_an_amount_weighs_as_the_median_deal():
    deals = pd.DataFrame({"amount_in_default_currency": [100.0, None, 0.0, 300.0, 500.0]})
    assert value_weight(deals).tolist() == [100.0, 300.0, 300.0, 300.0, 500.0]
    assert value_weight(pd.DataFrame({"amount_in_default_currency": [None, 0.0]})).tolist() == [
        1.0, 1.0,
    ]  # fmt: skip
    assert value_weight(pd.DataFrame({"stage": ["x", "y"]})).tolist() == [1.0, 1.0]


def rows() -> pd.DataFrame:
    """Snapshots of four closed deals in one stage: a and b small and won, c large and
    lost after lingering (three snapshots, the last two over twice the usual time)."""
    return pd.DataFrame(
        {
            "opportunity_id": ["a", "b", "c", "c", "c", "d"],
            "stage": ["x", "x", "x", "x", "x", "y"],
            "days_in_stage_vs_median": [0.5, 0.8, 0.5, 2.5, 3.0, 1.5],
            "amount_in_default_currency": [100.0, 100.0, 800.0, 800.0, 800.0, 200.0],
            WON: [1.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        }
    )


def test_rates_are_by_value_over_every_snapshot():
    rates = fit_stage_win_rates(rows(), WON, pseudo=0, default=0.25)
    # by count, stage x won 2 of 3 deals; by value over its snapshots, 200 of 2,600
    assert rates.stages["x"] == pytest.approx(200 / 2600)
    assert rates.overall == pytest.approx(400 / 2800)
    assert rates.bands == pytest.approx(
        {f"x|{USUAL}": 200 / 1000, f"x|{OVER}": 0.0, f"y|{TWICE}": 1.0}
    )
    assert rates.deals == 4


def test_shrinkage_is_in_deals_of_the_average_deals_value():
    rates = fit_stage_win_rates(rows(), WON, pseudo=1, default=0.25)
    prior = (100 + 100 + 2400 + 200) / 4  # one average deal: its snapshots' total weight
    overall = 400 / 2800
    stage_x = (200 + prior * overall) / (2600 + prior)
    assert rates.stages["x"] == pytest.approx(stage_x)
    assert rates.bands[f"x|{USUAL}"] == pytest.approx((200 + prior * stage_x) / (1000 + prior))


def test_amount_bands_are_by_quantile_and_under_their_time_band():
    rates = fit_stage_win_rates(rows(), WON, pseudo=0, default=0.25)
    # amounts over the six snapshots: 100, 100, 800, 800, 800, 200
    assert rates.amount_bounds == pytest.approx(tuple(np.quantile([100, 100, 800, 800, 800, 200],
                                                                  [0.5, 0.8, 0.95])))  # fmt: skip
    # bounds 500, 800, 800: 800 exceeds only the first (a bound is in the band below it)
    assert amount_band(rows(), rates.amount_bounds).tolist() == ["0", "0", "1", "1", "1", "0"]
    assert amount_band(pd.DataFrame({"amount_in_default_currency": [None, 0.0]}), (1.0,)).tolist() \
        == [None, None]  # fmt: skip
    assert rates.amounts == pytest.approx(
        {f"x|{USUAL}|0": 1.0, f"x|{USUAL}|1": 0.0, f"x|{OVER}|1": 0.0, f"y|{TWICE}|0": 1.0}
    )
    # by value within the stage, the small won deals are priced apart from the large lost one
    assert rates.probability(rows().iloc[[0, 2]]).tolist() == [1.0, 0.0]


def test_a_level_never_seen_takes_the_rate_of_the_level_above():
    rates = StageWinRates(0.3, {"x": 0.2}, {f"x|{USUAL}": 0.4}, {f"x|{USUAL}|1": 0.1, "x||1": 0.5},
                          (1000.0,), 3)  # fmt: skip
    deals = pd.DataFrame({"stage": ["x", "x", "x", "z", "x", "x"],
                          "days_in_stage_vs_median": [0.5, 3.0, None, 0.5, 0.5, None],
                          "amount_in_default_currency": [10, 10, 10, 10, 5000, 5000]})  # fmt: skip
    assert rates.probability(deals).tolist() == [0.4, 0.2, 0.2, 0.3, 0.1, 0.5]
    assert rates.probability(deals[["stage"]]).tolist() == [0.2] * 3 + [0.3] + [0.2] * 2


def test_without_a_labelled_row_every_deal_gets_the_default():
    rates = fit_stage_win_rates(rows().iloc[:0], WON, pseudo=20, default=0.25)
    assert (rates.overall, rates.deals) == (0.25, 0)
    assert rates.probability(rows()).tolist() == [0.25] * 6


def logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def test_the_fallback_gives_stage_time_in_it_and_amount_as_factors_that_add_up():
    rates = StageWinRates(0.5, {"x": 0.6}, {f"x|{OVER}": 0.3}, {f"x|{OVER}|1": 0.4}, (1000.0,), 10)
    deals = pd.DataFrame({"stage": ["x", "x"], "days_in_stage_vs_median": [2.54, 0.5],
                          "amount_in_default_currency": [1500.0, 200.0]})  # fmt: skip
    lingering, fresh = (json.loads(d) for d in stage_rate_factors(deals, rates, top=3))
    amount, stage = lingering["positive"]  # by impact: 0.405 for the stage, 0.442
    [time_in_stage] = lingering["negative"]
    assert (stage["label"], stage["value"]) == ("Stage", "x")
    assert (time_in_stage["label"], time_in_stage["value"]) == ("Time in stage vs usual", "2.5")
    assert (amount["label"], amount["value"]) == ("Amount", "1500")
    assert stage["impact"] == pytest.approx(logit(0.6) - logit(0.5), abs=1e-4)
    assert amount["impact"] == pytest.approx(logit(0.4) - logit(0.3), abs=1e-4)
    total = stage["impact"] + time_in_stage["impact"] + amount["impact"]
    assert total == pytest.approx(logit(0.4), abs=3e-4)
    # its time band and amount band never seen: the stage alone
    assert fresh["negative"] == [] and [f["label"] for f in fresh["positive"]] == ["Stage"]
