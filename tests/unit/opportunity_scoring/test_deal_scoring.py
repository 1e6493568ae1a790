"""Deal scoring's pure stages on small frames: labels, sufficiency, split, the stage-rate
fallback, the models' exact factors, the output rows and the monitoring labels."""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from ml.opportunity_scoring.config import OpportunityScoringConfig
from ml.opportunity_scoring.evaluate import evaluate_holdout, lift_table
from ml.opportunity_scoring.features import (
    SLIPPED,
    WON,
    deal_spec,
    labelled_snapshots,
    model_inputs,
    sufficiency,
)
from ml.opportunity_scoring.monitor import realised_deal_performance
from ml.opportunity_scoring.score import (
    deal_scores,
    expected_close_period,
    fit_stage_fallback,
    opportunity_scores_frame,
    score_with_model,
    with_overdue_slipped,
)
from ml.opportunity_scoring.train import (
    DealModel,
    best_candidate,
    close_timing,
    fit_stage_rates,
    fit_win_candidates,
    insufficient,
    split_by_creation,
)

TODAY = date(2024, 7, 1)


def snapshots() -> pd.DataFrame:
    """Ten snapshots of five deals: two created early (mature), the rest recent."""
    return pd.DataFrame(
        {
            "opportunity_id": ["A", "A", "B", "B", "C", "C", "D", "D", "E", "E"],
            "as_of_date": pd.to_datetime(["2024-01-07", "2024-01-14"] * 5),
            "created_at": pd.to_datetime(
                ["2024-01-01"] * 2
                + ["2024-01-02"] * 2
                + ["2024-01-03"] * 2
                + ["2024-06-20"] * 2
                + ["2024-01-04"] * 2
            ),  # fmt: skip
            "close_date": pd.to_datetime(
                [
                    "2024-02-01",
                    "2024-02-01",
                    "2024-01-20",
                    "2024-03-01",
                    "2024-03-01",
                    "2024-03-01",
                    "2024-08-01",
                    "2024-08-01",
                    "2024-09-01",
                    "2024-09-01",
                ]
            ),  # fmt: skip
            "stage": ["prospecting", "proposal"] * 5,
        }
    )


OUTCOMES = pd.DataFrame(
    {
        "opportunity_id": ["A", "B", "C", "D", "E"],
        "outcome": ["won", "lost", "won", "open", "open"],
        "closed_on": pd.to_datetime(["2024-01-25", "2024-02-10", "2024-04-01", None, None]),
    }
)


def test_labels_leave_open_deals_censored_and_recent_deals_out():
    rows = labelled_snapshots(snapshots(), OUTCOMES, TODAY, maturity_days=120)
    assert list(rows["opportunity_id"].unique()) == ["A", "B", "C", "E"]  # D is too recent
    by_deal = rows.groupby("opportunity_id")[WON].first()
    assert by_deal["A"] == 1 and by_deal["B"] == 0 and by_deal["C"] == 1
    assert np.isnan(by_deal["E"])  # still open: censored, never a loss
    assert sufficiency(rows) == (2, 1)


def test_slip_is_closing_after_the_close_date_of_the_snapshot():
    rows = labelled_snapshots(snapshots(), OUTCOMES, TODAY, maturity_days=120).set_index(
        ["opportunity_id", "as_of_date"]
    )
    slipped = rows[SLIPPED]
    assert slipped[("A", pd.Timestamp("2024-01-07"))] == 0  # won 01-25, due 02-01
    assert slipped[("B", pd.Timestamp("2024-01-07"))] == 1  # lost 02-10, due 01-20
    assert slipped[("B", pd.Timestamp("2024-01-14"))] == 0  # due moved to 03-01
    assert slipped[("C", pd.Timestamp("2024-01-07"))] == 1  # won 04-01, due 03-01
    assert np.isnan(slipped[("E", pd.Timestamp("2024-01-07"))])  # open, due 09-01: unknown


def test_labels_name_a_missing_column():
    with pytest.raises(ValueError) as error:
        labelled_snapshots(snapshots().drop(columns="close_date"), OUTCOMES, TODAY, 120)
    assert str(error.value) == "features is missing the column(s) close_date."


def test_below_einsteins_minimum_the_reason_says_what_is_missing():
    config = OpportunityScoringConfig()
    assert insufficient(250, 199, config) == (
        "insufficient data: 250 won and 199 lost mature deals (200 won and 200 lost needed); "
        "scoring with stage win rates"
    )
    assert insufficient(200, 200, config) is None


def test_the_split_keeps_deals_whole_and_holds_out_the_newest():
    rows = snapshots()
    split = split_by_creation(rows, 0.2, 0.25)
    assert set(rows.iloc[split.holdout]["opportunity_id"]) == {"D"}
    assert set(rows.iloc[split.calibration]["opportunity_id"]) == {"E"}
    assert set(rows.iloc[split.train]["opportunity_id"]) == {"A", "B", "C"}
    assert split.holdout_starts_at == pd.Timestamp("2024-06-20")
    with pytest.raises(ValueError, match="^a split needs at least 3 deals, got 2$"):
        split_by_creation(rows[rows["opportunity_id"].isin(["A", "B"])], 0.2, 0.2)


def test_stage_rates_shrink_to_the_overall_rate_and_default_without_deals():
    rows = labelled_snapshots(snapshots(), OUTCOMES, TODAY, maturity_days=120)
    rates = fit_stage_rates(rows, WON, pseudo=2, default=0.25)
    # three closed deals, each seen in both stages: 2 of 3 won in each
    assert rates.overall == pytest.approx(2 / 3)
    assert rates.rates["proposal"] == pytest.approx((2 + 2 * 2 / 3) / (3 + 2))
    assert rates.probability(pd.Series(["negotiation"]))[0] == pytest.approx(2 / 3)
    empty = fit_stage_rates(rows.iloc[:0], WON, pseudo=2, default=0.25)
    assert empty.overall == 0.25 and empty.deals == 0


def test_expected_close_keeps_the_close_date_unless_a_slip_is_likely():
    deals = pd.DataFrame(
        {"stage": ["proposal", "proposal", "proposal"],
         "close_date": pd.to_datetime(["2024-07-20", "2024-07-20", "2024-06-15"])}
    )  # fmt: skip
    periods = expected_close_period(deals, np.array([0.2, 0.9, 0.1]), {"proposal": 45.0}, TODAY)
    # on time: July; likely to slip: today + 45 days = 2024-08-15; overdue: never kept
    assert list(periods) == [date(2024, 7, 1), date(2024, 8, 1), date(2024, 8, 1)]


def score_rows(**changes) -> pd.DataFrame:
    deals = pd.DataFrame({"opportunity_id": ["A", "B", "C"],
                          "amount_in_default_currency": [1000.0, None, 500.0]})  # fmt: skip
    args = dict(
        win_probability=np.array([0.001, 0.5, 0.999]),
        slip_probability=np.array([0.1, 0.2, 0.3]),
        top_factors=np.array(["{}"] * 3, dtype=object),
        close_period=pd.Series([date(2024, 7, 1)] * 3),
    )
    args.update(changes)
    return opportunity_scores_frame(
        deals, args["win_probability"], args["slip_probability"], args["top_factors"],
        args["close_period"], score_date=TODAY, model_name="stage_win_rates",
        model_version="v", scoring_method="stage_win_rate", scored_at=datetime(2024, 7, 2),
    )  # fmt: skip


def test_scores_are_one_to_ninety_nine_and_expected_value_is_probability_times_amount():
    frame = score_rows()
    assert list(frame["score"]) == [1, 50, 99]
    assert list(frame["expected_value"]) == [1.0, 0.0, 499.5]
    assert set(frame["scoring_method"]) == {"stage_win_rate"}


def test_bad_score_inputs_are_refused_with_the_reason():
    with pytest.raises(ValueError) as error:
        score_rows(slip_probability=np.array([0.1]))
    assert str(error.value) == "deals, probabilities, factors and close periods differ in length"
    deals = pd.DataFrame({"opportunity_id": ["A", "A"], "amount_in_default_currency": [1.0, 2.0]})
    with pytest.raises(ValueError) as error:
        opportunity_scores_frame(
            deals, np.ones(2) / 2, np.ones(2) / 2, np.array(["{}", "{}"]),
            pd.Series([TODAY, TODAY]), score_date=TODAY, model_name="m", model_version="1",
            scoring_method="model", scored_at=datetime(2024, 7, 2),
        )  # fmt: skip
    assert str(error.value) == "opportunity A is scored twice"


def synthetic_deals(n: int = 240, seed: int = 0, amount_slope: float = 0.0) -> pd.DataFrame:
    """Deals whose outcome depends on activity and stage (and on the amount, by
    ``amount_slope`` per unit away from 3,000)."""
    rng = np.random.default_rng(seed)
    activities = rng.poisson(3, n).astype(float)
    stage_index = rng.integers(1, 5, n)
    amount = rng.uniform(1000, 5000, n)
    logit = -2.0 + 0.6 * activities + 0.3 * stage_index - amount_slope * (amount - 3000)
    return pd.DataFrame(
        {
            "opportunity_id": [f"O{i:04d}" for i in range(n)],
            "as_of_date": pd.Timestamp("2024-01-07"),
            "created_at": pd.Timestamp("2023-01-01") + pd.to_timedelta(np.arange(n), unit="D"),
            "close_date": pd.Timestamp("2024-03-01"),
            "stage": np.array(["prospecting", "qualification", "proposal", "negotiation"])[
                stage_index - 1
            ],
            "stage_index": stage_index,
            "activities_30d": activities,
            "amount_in_default_currency": amount,
            WON: (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(float),
        }
    )


def test_both_candidates_fit_and_their_factors_add_up_to_the_probability():
    rows = synthetic_deals()
    spec = deal_spec(rows)
    assert spec.numeric == ("stage_index", "amount_in_default_currency", "activities_30d")
    # the quarter of each snapshot's close date is derived, so it is a feature too
    assert spec.categorical == ("stage", "close_quarter")
    config = OpportunityScoringConfig(min_won_deals=1, min_lost_deals=1)
    split = split_by_creation(rows, 0.25, 0.2)
    candidates = fit_win_candidates(rows, spec, split, config)
    assert [c.name for c in candidates] == ["logistic_regression", "xgboost", "blend"]
    best = best_candidate(candidates)
    assert best.metrics.roc_auc > 0.7  # the signal is strong: a broken fit would not get there
    model = DealModel(best.model, None, fit_stage_rates(rows, WON, 20, 0.5), {"*": 30.0})
    probability, factors, slip = score_with_model(model, rows.head(10), top_factors=3)
    inputs = model_inputs(rows.head(10), spec)
    contributions, bias = best.model.contributions(inputs)
    expected = 1 / (1 + np.exp(-(contributions.sum(axis=1) + bias)))
    np.testing.assert_allclose(probability, expected)
    np.testing.assert_allclose(probability, best.model.predict_proba(inputs))
    first = json.loads(factors[0])
    assert len(first["positive"]) <= 3 and len(first["negative"]) <= 3
    labels = {f["label"] for f in first["positive"] + first["negative"]}
    assert labels <= {"Stage (position)", "Amount", "Activities on the deal, last 30 days", "Stage"}
    assert len(slip) == 10


def test_a_single_outcome_cannot_train_and_says_which_part():
    rows = synthetic_deals().assign(**{WON: 1.0})
    spec = deal_spec(rows)
    split = split_by_creation(rows, 0.25, 0.2)
    with pytest.raises(ValueError) as error:
        fit_win_candidates(rows, spec, split, OpportunityScoringConfig())
    assert str(error.value) == "the train deals hold only one outcome; cannot fit a model"


def test_a_frame_without_deal_features_is_refused():
    with pytest.raises(ValueError, match="^opportunity_features holds none of the deal features"):
        deal_spec(pd.DataFrame({"opportunity_id": ["A"]}))
    with pytest.raises(KeyError, match="opportunity_features lacks columns the model was trained"):
        model_inputs(pd.DataFrame({"stage": ["x"]}), deal_spec(synthetic_deals()))


def test_close_timing_is_the_median_days_to_close_per_stage():
    rows = pd.DataFrame({"stage": ["a", "a", "b"],
                         "as_of_date": pd.to_datetime(["2024-01-01"] * 3)})  # fmt: skip
    timing = close_timing(rows, pd.Series(pd.to_datetime(["2024-01-11", "2024-01-31", None])))
    assert timing == {"*": 20.0, "a": 20.0}


def test_holdout_evaluation_compares_with_the_stage_rates_on_the_same_rows():
    holdout = pd.DataFrame({"opportunity_id": list("aabbc"),
                            "amount_in_default_currency": [100.0] * 5})  # fmt: skip
    y = np.array([1, 1, 0, 0, 1])
    result = evaluate_holdout(holdout, y, np.array([0.9, 0.8, 0.2, 0.1, 0.7]), np.full(5, 0.5))
    assert result.auc == 1.0 and result.stage_rate_auc == 0.5 and result.deals == 3
    # the stage rates say 0.5 to every snapshot; five snapshots make five equal-count bins
    # of one each, and each is 0.5 from its outcome
    assert result.stage_rate_ece == pytest.approx(0.5)
    assert result.expected_over_won == pytest.approx((0.9 + 0.8 + 0.2 + 0.1 + 0.7) / 3)
    assert list(lift_table(y, np.array([0.9, 0.8, 0.2, 0.1, 0.7]))["decile"]) == list(range(1, 11))
    with pytest.raises(ValueError) as error:
        evaluate_holdout(holdout, y[:4], np.ones(5), np.ones(5))
    assert str(error.value) == (
        "holdout, labels, probabilities and stage rates differ in length: 5, 4, 5, 5"
    )


def test_realised_performance_waits_for_maturity_and_leaves_open_deals_out():
    scores = pd.DataFrame(
        {"opportunity_id": ["A", "B", "C", "D", "A"],
         "score_date": pd.to_datetime(["2024-01-07"] * 4 + ["2024-06-30"]),
         "win_probability": [0.9, 0.2, 0.7, 0.5, 0.9]}
    )  # fmt: skip
    result = realised_deal_performance(scores, OUTCOMES, TODAY, maturity_days=90)
    assert list(result["score_date"]) == [pd.Timestamp("2024-01-07")]  # 06-30 is too recent
    assert int(result["rows"].iloc[0]) == 3 and int(result["rows_excluded"].iloc[0]) == 1
    assert float(result["roc_auc"].iloc[0]) == 1.0
    with pytest.raises(ValueError) as error:
        realised_deal_performance(scores.drop(columns="win_probability"), OUTCOMES, TODAY, 90)
    assert str(error.value) == "scores is missing the column(s) win_probability."


def test_the_configuration_refuses_a_zero_minimum():
    with pytest.raises(ValueError) as error:
        OpportunityScoringConfig(min_won_deals=0)
    assert str(error.value) == (
        "min_won_deals and min_lost_deals must be at least 1, got 0 and 200"
    )


def test_a_deal_past_its_close_date_has_already_slipped():
    deals = pd.DataFrame({"close_date": pd.to_datetime(["2024-06-30", "2024-07-01", None])})
    assert list(with_overdue_slipped(deals, np.array([0.2, 0.2, 0.2]), TODAY)) == [1.0, 0.2, 0.2]


def test_close_quarter_comes_from_each_snapshots_own_close_date():
    from ml.opportunity_scoring.features import deal_spec, with_close_quarter

    frame = pd.DataFrame(
        {
            "close_date": pd.to_datetime(
                ["2025-01-31", "2025-03-31", "2025-04-01", None, "2025-12-31"] * 2
            ),
            "stage": ["prospecting"] * 10,
        }
    )
    out = with_close_quarter(frame)
    assert list(out["close_quarter"][:5]) == ["Q1", "Q1", "Q2", None, "Q4"]
    assert "close_quarter" in deal_spec(frame).categorical
    assert with_close_quarter(frame.drop(columns="close_date")).equals(
        frame.drop(columns="close_date")
    )


def test_holdout_predictions_are_the_score_history_rows_of_one_training():
    from ml.catalog.ml_tables import OPPORTUNITY_SCORE_HISTORY
    from ml.opportunity_scoring.train import holdout_predictions

    holdout = pd.DataFrame(
        {
            "opportunity_id": [f"O{i // 2}" for i in range(10)],
            "as_of_date": pd.to_datetime(["2025-06-01", "2025-06-08"] * 5),
        }
    )
    p = np.linspace(0.05, 0.95, 10)
    rows = holdout_predictions(holdout, p, date(2025, 12, 30), "7")
    assert list(rows.columns) == OPPORTUNITY_SCORE_HISTORY.column_names
    assert set(rows["training_date"]) == {date(2025, 12, 30)} and set(rows["model_version"]) == {
        "7"
    }
    assert rows["as_of_date"].iloc[1] == date(2025, 6, 8)
    np.testing.assert_allclose(rows["win_probability"], p)
    with pytest.raises(ValueError, match="^9 probabilities for 10 holdout snapshots$"):
        holdout_predictions(holdout, p[:9], date(2025, 12, 30), "7")


def test_without_a_champion_the_scoring_chain_uses_the_fallback_fitted_as_of_the_date():
    labelled = labelled_snapshots(snapshots(), OUTCOMES, TODAY, maturity_days=120)
    fallback = fit_stage_fallback(labelled, TODAY, pseudo_deals=0, default_win_rate=0.2)
    assert fallback.version == "2024-07-01-3deals"  # A and C won, B lost
    deals = pd.DataFrame(
        {"opportunity_id": ["D", "E"], "stage": ["proposal", "prospecting"],
         "close_date": pd.to_datetime(["2024-08-01", "2024-06-01"]),
         "amount_in_default_currency": [1000.0, 200.0]}
    )  # fmt: skip
    frame = deal_scores(deals, TODAY, datetime(2024, 7, 2), top_factors=3, fallback=fallback)
    assert list(frame["opportunity_id"]) == ["D", "E"]
    assert list(frame["win_probability"]) == list(fallback.rates.probability(deals))
    assert frame["slip_probability"].iloc[1] == 1.0  # past its close date: already slipped
    assert set(frame["model_name"]) == {"stage_win_rates"}
    assert set(frame["model_version"]) == {"2024-07-01-3deals"}
    assert set(frame["scoring_method"]) == {"stage_win_rate"}
    with pytest.raises(ValueError, match="^deal_scores needs a champion or a stage-rate fallback$"):
        deal_scores(deals, TODAY, datetime(2024, 7, 2), top_factors=3)
