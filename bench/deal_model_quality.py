"""How good is the deal model that ``ml.opportunity_scoring`` trains, against the stage
win rates, on a time-ordered holdout with label maturity? (docs/deal-scoring.md)

Usage, on a warehouse built by a nightly run (the work file or the published one):

    .venv/bin/python bench/deal_model_quality.py --warehouse PATH --date YYYY-MM-DD

It runs the nightly training's own pure stages (no MLflow, nothing written): the mature
deals' labelled snapshots (``data.read_labelled_rows``), the whole-deal split by creation
(newest 20% holdout, newest 15% of the rest calibrate), the three Platt-calibrated candidates
and the stage win rates fitted on the same rows, and the slip model. Prints, on the same
holdout snapshots: AUC (all snapshots and each deal's first), expected calibration error,
log-loss, expected value over the amount won (with the range that chance alone gives it
when the chosen candidate is calibrated: ``ev_over_won_band``), the lift table of the
chosen candidate, and
the slip model's AUC against the stage slip rates; then the forecast's backtest of the
open-pipeline weighting (``ml.forecasting.evaluate.choose_pipeline_method``) with the
chosen candidate's holdout probabilities, as training writes them to
``ml.opportunity_score_history``: WAPE of stage win rates and of the model per origin.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from ml.forecasting.config import ForecastConfig
from ml.forecasting.evaluate import choose_pipeline_method
from ml.metrics import classification_metrics
from ml.opportunity_scoring.config import OpportunityScoringConfig
from ml.opportunity_scoring.evaluate import evaluate_holdout, lift_table
from ml.opportunity_scoring.features import SLIPPED, WON, deal_spec, model_inputs, sufficiency
from ml.opportunity_scoring.stage_win_rates import fit_stage_win_rates
from ml.opportunity_scoring.steps import data
from ml.opportunity_scoring.train import (
    best_candidate,
    fit_slip,
    fit_stage_rates,
    fit_win_candidates,
    holdout_predictions,
    split_by_creation,
)


def ev_over_won_band(
    holdout: pd.DataFrame, probability: np.ndarray, draws: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """The 5% and 95% quantiles of expected value / won that a calibrated model would
    show on these snapshots by chance: each deal is won with its mean probability (one
    draw per deal, shared by its snapshots), and the ratio is taken as the bench takes
    it. A few large deals carry most of the amount, so the band can be wide."""
    codes = pd.factorize(holdout["opportunity_id"])[0]
    amount = pd.to_numeric(holdout["amount_in_default_currency"], errors="coerce").fillna(0.0)
    amount = amount.to_numpy()
    per_deal = pd.Series(probability).groupby(codes).mean().to_numpy()
    rng = np.random.default_rng(seed)
    expected = float((amount * probability).sum())
    won = (rng.random((draws, len(per_deal))) < per_deal)[:, codes] @ amount
    ratios = expected / won[won > 0]
    return float(np.quantile(ratios, 0.05)), float(np.quantile(ratios, 0.95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--date", required=True, type=date.fromisoformat)
    parser.add_argument("--maturity-days", type=int, default=120)
    args = parser.parse_args()
    config = replace(OpportunityScoringConfig(), maturity_days=args.maturity_days)

    with duckdb.connect(args.warehouse, read_only=True) as con:
        rows = data.read_labelled_rows(con, args.date, config.maturity_days)
        opportunities = con.execute("select * from marts.opportunities").df()
        stage_history = con.execute("select * from marts.opportunity_stage_history").df()
    won, lost = sufficiency(rows)
    closed = rows.dropna(subset=[WON]).reset_index(drop=True)
    split = split_by_creation(closed, config.holdout_fraction, config.calibration_fraction)
    holdout = closed.iloc[split.holdout]
    print(
        f"mature deals: {won:,} won, {lost:,} lost ({len(closed):,} snapshots); holdout "
        f"{holdout['opportunity_id'].nunique():,} deals, {len(holdout):,} snapshots, created "
        f"{holdout['created_at'].min():%Y-%m-%d} on"
    )
    spec = deal_spec(closed)
    candidates = fit_win_candidates(closed, spec, split, config)
    fitted_on = closed.iloc[np.concatenate([split.train, split.calibration])]
    stage = fit_stage_win_rates(fitted_on, WON, config.pseudo_deals, config.default_win_rate)
    y = holdout[WON].to_numpy()
    stage_p = stage.probability(holdout)
    print(f"\n{'model':<22}{'AUC':>7}{'AUC first':>11}{'ECE':>7}{'log-loss':>10}{'EV/won':>8}")
    for name, p in [("stage_win_rate", stage_p)] + [
        (c.name, c.holdout_probability) for c in candidates
    ]:
        result = evaluate_holdout(holdout, y, p, stage_p)
        print(
            f"{name:<22}{result.auc:>7.3f}{result.auc_first_snapshot:>11.3f}{result.ece:>7.3f}"
            f"{result.log_loss:>10.3f}{result.expected_over_won:>8.2f}"
        )
    best = best_candidate(candidates)
    low, high = ev_over_won_band(holdout, best.holdout_probability)
    print(
        f"\nexpected value / won if {best.name} were exactly calibrated (each holdout deal won "
        f"with its probability, 2,000 draws): 5-95% {low:.2f}-{high:.2f}"
    )
    print(f"\nchosen (lowest holdout log-loss): {best.name}; lift by decile:")
    print(lift_table(y, best.holdout_probability).to_string(index=False))

    # slip: fitted on the deals before the holdout, judged on the holdout's known labels
    before = rows[rows["created_at"] < split.holdout_starts_at]
    after = rows[(rows["created_at"] >= split.holdout_starts_at) & rows[SLIPPED].notna()]
    slip_model = fit_slip(before, spec, config)
    slip_rates = fit_stage_rates(before, SLIPPED, config.pseudo_deals, 0.5)
    if slip_model is not None and after[SLIPPED].nunique() == 2:
        truth = after[SLIPPED].to_numpy()
        model_p = slip_model.predict_proba(model_inputs(after, spec))
        for name, p in (
            ("slip model", model_p),
            ("stage slip rates", slip_rates.probability(after["stage"])),
        ):
            found = classification_metrics(truth, p)
            print(f"{name:<22} AUC {found.roc_auc:.3f}  ECE {found.expected_calibration_error:.3f}"
                  f"  on {len(after):,} snapshots ({truth.mean():.2f} slipped)")  # fmt: skip

    history = holdout_predictions(holdout, best.holdout_probability, args.date, "bench")
    choice = choose_pipeline_method(
        opportunities, stage_history, history, args.date, ForecastConfig()
    )
    print("\nforecast backtest of the open pipeline (won revenue within 13 weeks):")
    print(choice.origins.round(0).to_string(index=False))
    print(f"{choice.method}: {choice.reason}")


if __name__ == "__main__":
    main()
