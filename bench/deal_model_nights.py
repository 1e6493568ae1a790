"""Night by night: the deals open on a past night, scored by the deal model the nightly
training would have had that night, against what then became of them
(docs/deal-scoring.md, "Deals open on a night").

Usage, on a warehouse built by a nightly run for ``--end`` (the work file or the
published one):

    .venv/bin/python bench/deal_model_nights.py --warehouse PATH --end YYYY-MM-DD

The holdout of ``bench/deal_model_quality.py`` is whole closed deals, every snapshot of
each. Issue 15 asks something else: do the win probabilities of the deals open on a
night rank the deals then won, and do their expected values add up to the amount then
won? So, at each origin night D (every ``--every-days`` from ``--first``, snapped to the
last snapshot date on or before it, while D is at least ``--resolve-days`` before
``--end``):

- only what was known at D is used: snapshots up to D, outcomes closed by D;
- the nightly training's own stages fit the candidates (``train.fit_win_candidates``)
  and choose one (``model``); the first-champion gate (``steps.tracking.gate``) decides
  what that night would have published (``published``): the chosen candidate, or the
  stage win rates (``stage_win_rate``) when the gate refuses;
- the reference is scikit-learn's HistGradientBoostingClassifier (default settings),
  fitted on the same rows (``bench/deal_model_reference.py``);
- the deals open at D are scored, and judged on their outcome as of ``--end``.

With ``--every-night``, a night below Einstein's minimum is judged too, as the nightly
scores it: with the stage win rates fitted on every mature deal labelled by then
(``score.fit_stage_fallback``); it has no model nor reference, so those methods are
judged over the nights that have them.

Prints the nights, then over the nights each method scored: the mean AUC per night, and
the expected value over the amount then won, with the 5-95% range chance alone gives it
if the method were calibrated (each deal won once with its mean probability, shared by
all its nights).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
from deal_model_reference import NOT_FEATURES, reference_hgb
from sklearn.metrics import roc_auc_score

from ml.lead_scoring.features import feature_spec
from ml.lead_scoring.features import model_inputs as reference_inputs
from ml.opportunity_scoring.config import OpportunityScoringConfig
from ml.opportunity_scoring.evaluate import evaluate_holdout
from ml.opportunity_scoring.features import (
    SLIPPED,
    WON,
    deal_spec,
    labelled_snapshots,
    model_inputs,
    sufficiency,
)
from ml.opportunity_scoring.score import fit_stage_fallback
from ml.opportunity_scoring.stage_win_rates import fit_stage_win_rates
from ml.opportunity_scoring.steps.tracking import gate
from ml.opportunity_scoring.train import (
    best_candidate,
    fit_win_candidates,
    insufficient,
    split_by_creation,
)

# model: the chosen candidate whatever the gate said; published: what the night published
METHODS = ("stage_win_rate", "model", "published", "reference_hgb")


def known_at(outcomes: pd.DataFrame, night: date) -> pd.DataFrame:
    """``outcomes`` as they stood at the end of ``night``: later closes are still open."""
    later = pd.to_datetime(outcomes["closed_on"]) > pd.Timestamp(night)
    return outcomes.assign(
        outcome=outcomes["outcome"].where(~later, "open"),
        closed_on=pd.to_datetime(outcomes["closed_on"]).where(~later),
    )


def one_night(
    features: pd.DataFrame,
    outcomes: pd.DataFrame,
    night: date,
    config: OpportunityScoringConfig,
    every_night: bool = False,
) -> tuple[pd.DataFrame, str, str]:
    """The deals open at ``night`` with each method's win probability, and what the
    night would have published.

    Raises:
        ValueError: the night is below Einstein's minimum, and not ``every_night``.
    """
    seen = features[features["as_of_date"] <= pd.Timestamp(night)]
    rows = labelled_snapshots(seen, known_at(outcomes, night), night, config.maturity_days)
    reason = insufficient(*sufficiency(rows), config)
    if reason and not every_night:  # it scores with the stage win rates: no model to judge
        raise ValueError(reason)
    open_deals = seen[seen["as_of_date"] == pd.Timestamp(night)].reset_index(drop=True)
    if reason:
        fallback = fit_stage_fallback(rows, night, config.pseudo_deals, config.default_win_rate)
        stage_p = fallback.rates.probability(open_deals)
        scored = open_deals[["opportunity_id", "amount_in_default_currency"]].assign(
            night=night, stage_win_rate=stage_p, model=np.nan, published=stage_p,
            reference_hgb=np.nan,
        )  # fmt: skip
        return scored, "stage_win_rate", reason
    closed = rows.dropna(subset=[WON]).reset_index(drop=True)
    split = split_by_creation(closed, config.holdout_fraction, config.calibration_fraction)
    spec = deal_spec(closed)
    candidates = fit_win_candidates(closed, spec, split, config)
    best = best_candidate(candidates)
    fitted = np.concatenate([split.train, split.calibration])
    stage = fit_stage_win_rates(
        closed.iloc[fitted], WON, config.pseudo_deals, config.default_win_rate
    )
    holdout = closed.iloc[split.holdout]
    judged = evaluate_holdout(
        holdout, holdout[WON].to_numpy(), best.holdout_probability,
        stage.probability(holdout),
    )  # fmt: skip
    decision = gate(
        None, holdout=holdout, judged=judged, probability=best.holdout_probability, config=config
    )
    stage_p = stage.probability(open_deals)
    model_p = best.model.predict_proba(model_inputs(open_deals, spec))
    leakage = NOT_FEATURES | {WON, SLIPPED}
    reference_spec = feature_spec(closed.rename(columns={WON: "label"}), leakage=leakage)
    reference_p = reference_hgb(
        reference_inputs(closed, reference_spec).iloc[fitted],
        closed[WON].to_numpy()[fitted].astype(int),
        reference_inputs(open_deals, reference_spec),
        config.seed,
    )
    published = best.name if decision.promote else "stage_win_rate"
    scored = open_deals[["opportunity_id", "amount_in_default_currency"]].assign(
        night=night,
        stage_win_rate=stage_p,
        model=model_p,
        published=model_p if decision.promote else stage_p,
        reference_hgb=reference_p,
    )
    return scored, published, decision.reason


def chance_range(deals: pd.DataFrame, method: str, draws: int = 2000) -> tuple[float, float]:
    """5-95% of expected value / won if each deal were won with its mean probability
    (one draw per deal, shared by every night it was open)."""
    codes = pd.factorize(deals["opportunity_id"])[0]
    per_deal = deals.groupby(codes)[method].mean().to_numpy()
    amount = deals["amount"].to_numpy()
    won = (np.random.default_rng(0).random((draws, len(per_deal))) < per_deal)[:, codes] @ amount
    ratios = float((deals[method] * amount).sum()) / won[won > 0]
    return float(np.quantile(ratios, 0.05)), float(np.quantile(ratios, 0.95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--end", required=True, type=date.fromisoformat)
    parser.add_argument("--first", type=date.fromisoformat, default=date(2024, 7, 1))
    parser.add_argument("--every-days", type=int, default=28)
    parser.add_argument("--resolve-days", type=int, default=180)
    parser.add_argument("--maturity-days", type=int)
    parser.add_argument(
        "--every-night", action="store_true", help="judge nights below the minimum too"
    )
    args = parser.parse_args()
    config = OpportunityScoringConfig()
    if args.maturity_days is not None:
        config = replace(config, maturity_days=args.maturity_days)

    with duckdb.connect(args.warehouse, read_only=True) as con:
        features = con.execute("select * from marts.opportunity_features").df()
        outcomes = con.execute(
            "select opportunity_id, created_at, outcome, closed_on, "
            "won_amount_in_default_currency from marts.opportunity_outcomes"
        ).df()
    features["as_of_date"] = pd.to_datetime(features["as_of_date"])
    snapshot_dates = sorted(features["as_of_date"].dt.date.unique())
    last = args.end - timedelta(days=args.resolve_days)
    wanted = [args.first + timedelta(days=k * args.every_days)
              for k in range((last - args.first).days // args.every_days + 1)]  # fmt: skip
    nights = sorted({max(d for d in snapshot_dates if d <= w) for w in wanted})
    print(f"maturity {config.maturity_days} days; {len(nights)} nights, {nights[0]} to "
          f"{nights[-1]}; outcomes as of {args.end}")  # fmt: skip

    fate = outcomes.set_index("opportunity_id")
    frames, lines = [], []
    for night in nights:
        try:
            scored, published, reason = one_night(
                features, outcomes, night, config, args.every_night
            )
        except ValueError as exc:  # what the nightly training would have said that night
            print(f"  {night}: left out, no model to judge: {exc}", flush=True)
            continue
        scored["outcome"] = scored["opportunity_id"].map(fate["outcome"])
        scored["won_amount"] = scored["opportunity_id"].map(
            fate["won_amount_in_default_currency"]
        ).fillna(0.0)  # fmt: skip
        scored["amount"] = scored["amount_in_default_currency"].astype(float).fillna(0.0)
        resolved = scored[scored["outcome"].isin(["won", "lost"])]
        y = (resolved["outcome"] == "won").to_numpy()
        line = {"night": night, "open": len(scored), "still open": len(scored) - len(resolved),
                "won": int(y.sum()), "published": published}  # fmt: skip
        for method in METHODS:
            if scored[method].isna().all():  # a night below the minimum: no model
                line[f"AUC {method}"] = line[f"EV/won {method}"] = np.nan
                continue
            line[f"AUC {method}"] = roc_auc_score(y, resolved[method]) if 0 < y.sum() < len(y) \
                else np.nan  # fmt: skip
            line[f"EV/won {method}"] = (scored[method] * scored["amount"]).sum() / max(
                scored["won_amount"].sum(), 1.0
            )
        lines.append(line)
        frames.append(resolved)
        print(f"  {night}: {len(scored)} open, {int(y.sum())} then won; published {published}: "
              f"{reason}", flush=True)  # fmt: skip

    if not lines:
        raise SystemExit("no night had enough mature deals for a model: nothing to judge")
    table = pd.DataFrame(lines)
    print("\n" + table.round(2).to_string(index=False))
    deals = pd.concat(frames, ignore_index=True)
    print(f"\nover the {len(lines)} nights judged ({len(deals):,} open deal-nights, "
          f"{deals['opportunity_id'].nunique():,} deals):")  # fmt: skip
    print(f"{'method':<16}{'nights':>7}{'mean AUC':>10}{'EV/won':>8}{'if calibrated, 5-95%':>24}")
    for method in METHODS:
        scored = deals[deals[method].notna()]
        if scored.empty:  # every night was below the minimum: no model, no reference
            print(f"{method:<16}{0:>7}  (no night had it)")
            continue
        low, high = chance_range(scored, method)
        ratio = (scored[method] * scored["amount"]).sum() / scored["won_amount"].sum()
        print(f"{method:<16}{scored['night'].nunique():>7}{table[f'AUC {method}'].mean():>10.3f}"
              f"{ratio:>8.2f}{f'{low:.2f}-{high:.2f}':>24}")  # fmt: skip


if __name__ == "__main__":
    main()
