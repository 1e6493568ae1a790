"""How well can open deals' outcomes be ranked from the pipeline marts? A measurement
before the deal model is built (issue 15), on a time-ordered holdout with label maturity.

Usage, on a warehouse built by a nightly run (the work file or the published one):

    .venv/bin/python bench/deal_model_reference.py --warehouse PATH --date YYYY-MM-DD

Rows are ``marts.opportunity_features`` snapshots (one per open deal per week end, plus
the business date); the label is ``marts.opportunity_outcomes``: won (1) or lost (0).
A deal still open is censored and left out, never counted as a loss. Deals are mature
when created at least ``--maturity-days`` before the business date, so that the holdout
is not only the deals that closed fast. Mature deals are ordered by creation: the last
20% are the holdout, the last 15% of the rest calibrate, the rest train.

Judged on the same holdout snapshots:
- ``stage_win_rate``: the training deals' win rate per stage (what the forecast uses today);
- ``logistic`` and ``xgboost``: the project's explainable, Platt-calibrated models
  (``ml.modelling.model``), on the deal features;
- ``reference_hgb``: scikit-learn's HistGradientBoostingClassifier, default settings.
Prints AUC with a 95% paired-bootstrap interval (over holdout deals) of the difference to
the stage win rates, expected calibration error, a lift table by decile, and, night by
night, the expected value of the holdout deals open that night against the amount they
went on to win.
"""

from __future__ import annotations

import argparse
from datetime import date

import duckdb
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from ml.lead_scoring.features import feature_spec, model_inputs
from ml.metrics import expected_calibration_error
from ml.modelling.fit import fit_logistic, fit_xgboost
from ml.modelling.params import LogisticParams, XGBoostParams

NOT_FEATURES = {
    "opportunity_id",
    "as_of_date",
    "created_at",
    "account_id",
    "lead_id",
    "close_date",
    "label",
    "closed_on",
    "won_amount",
    "outcome",
}


def load_rows(warehouse: str, business_date: date, maturity_days: int) -> pd.DataFrame:
    """Mature, closed deals' snapshots with their label, ordered by the deal's creation."""
    with duckdb.connect(warehouse, read_only=True) as con:
        rows = con.execute(
            """
            select features.*, outcomes.is_won::int as label, outcomes.closed_on,
                   outcomes.won_amount_in_default_currency as won_amount
            from marts.opportunity_features as features
            join marts.opportunity_outcomes as outcomes using (opportunity_id)
            where outcomes.outcome in ('won', 'lost')
              and features.created_at < ?::date - ?::int
            order by features.created_at, features.opportunity_id, features.as_of_date
            """,
            [business_date, maturity_days],
        ).df()
        censored = con.execute(
            "select count(*) from marts.opportunity_outcomes where outcome = 'open' "
            "and created_at < ?::date - ?::int",
            [business_date, maturity_days],
        ).fetchone()[0]
    print(
        f"mature deals: {rows['opportunity_id'].nunique():,} closed "
        f"({rows.groupby('opportunity_id')['label'].first().sum():,} won), "
        f"{censored:,} still open (censored, left out); {len(rows):,} snapshots"
    )
    return rows


def split_by_creation(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    deals = rows.drop_duplicates("opportunity_id")["opportunity_id"].to_numpy()  # creation order
    n = len(deals)
    n_holdout = round(n * 0.2)
    n_calibration = round((n - n_holdout) * 0.15)
    part = pd.Series(0, index=deals)
    part.iloc[n - n_holdout - n_calibration : n - n_holdout] = 1
    part.iloc[n - n_holdout :] = 2
    row_part = rows["opportunity_id"].map(part).to_numpy()
    return tuple(np.flatnonzero(row_part == k) for k in range(3))  # type: ignore[return-value]


def stage_win_rates(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    per_deal_stage = train.drop_duplicates(["opportunity_id", "stage"])
    rates = per_deal_stage.groupby("stage")["label"].mean()
    overall = per_deal_stage["label"].mean()
    return test["stage"].map(rates).fillna(overall).to_numpy(dtype=float)


def reference_hgb(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame, seed: int) -> np.ndarray:
    present = train.columns[train.nunique(dropna=True) > 1]
    train, test = train[present].copy(), test[present].copy()
    categorical = [c for c in train.columns if train[c].dtype == object]
    for column in categorical:
        codes = {v: i for i, v in enumerate(sorted(train[column].dropna().unique()))}
        train[column] = train[column].map(codes).astype(float)
        test[column] = test[column].map(codes).astype(float)
    model = HistGradientBoostingClassifier(
        categorical_features=[train.columns.get_loc(c) for c in categorical] or None,
        early_stopping=False,
        random_state=seed,
    )
    model.fit(train, y)
    return model.predict_proba(test)[:, 1]


def bootstrap_difference(
    deals: np.ndarray, y: np.ndarray, p: np.ndarray, base: np.ndarray, seed: int, n: int = 300
) -> tuple[float, float]:
    """95% interval of AUC(p) - AUC(base), resampling holdout deals with replacement."""
    rng = np.random.default_rng(seed)
    unique, index = np.unique(deals, return_inverse=True)
    diffs = []
    for _ in range(n):
        weight = np.bincount(rng.integers(0, len(unique), len(unique)), minlength=len(unique))[
            index
        ]
        keep = weight > 0
        if len(np.unique(y[keep])) < 2:
            continue
        diffs.append(
            roc_auc_score(y[keep], p[keep], sample_weight=weight[keep])
            - roc_auc_score(y[keep], base[keep], sample_weight=weight[keep])
        )
    return float(np.percentile(diffs, 2.5)), float(np.percentile(diffs, 97.5))


def lift_table(y: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    order = np.argsort(-p, kind="stable")
    deciles = np.array_split(order, 10)
    base = y.mean()
    return pd.DataFrame(
        {
            "decile": range(1, 11),
            "mean_probability": [p[d].mean() for d in deciles],
            "win_rate": [y[d].mean() for d in deciles],
            "lift": [y[d].mean() / base for d in deciles],
        }
    ).round(3)


def expected_value_by_night(holdout: pd.DataFrame, p: np.ndarray) -> pd.DataFrame:
    frame = holdout.assign(
        expected_value=p * holdout["amount_in_default_currency"].to_numpy(dtype=float),
        won=holdout["won_amount"].fillna(0).to_numpy(dtype=float),
    )
    nights = frame.groupby("as_of_date").agg(
        deals=("opportunity_id", "size"),
        expected_value=("expected_value", "sum"),
        won=("won", "sum"),
    )
    nights = nights[nights["deals"] >= 20]
    nights["ratio"] = nights["expected_value"] / nights["won"]
    return nights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--date", required=True, type=date.fromisoformat)
    parser.add_argument("--maturity-days", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rows = load_rows(args.warehouse, args.date, args.maturity_days)
    train_at, calibration_at, holdout_at = split_by_creation(rows)
    spec = feature_spec(rows, leakage=NOT_FEATURES)
    inputs = model_inputs(rows, spec)
    y = rows["label"].to_numpy()
    train, calibration, holdout = (rows.iloc[i] for i in (train_at, calibration_at, holdout_at))
    print(
        f"split by creation: train {train['opportunity_id'].nunique():,} deals, calibration "
        f"{calibration['opportunity_id'].nunique():,}, "
        f"holdout {holdout['opportunity_id'].nunique():,} "
        f"(created {pd.Timestamp(holdout['created_at'].min()).date()} on); "
        f"features: {', '.join(spec.columns)}"
    )

    fit_rows = np.concatenate([train_at, calibration_at])
    probabilities = {"stage_win_rate": stage_win_rates(rows.iloc[fit_rows], holdout)}
    logistic = fit_logistic(inputs.iloc[train_at], y[train_at], spec, LogisticParams())
    logistic.calibrate(inputs.iloc[calibration_at], y[calibration_at])
    probabilities["logistic"] = logistic.predict_proba(inputs.iloc[holdout_at])
    booster = fit_xgboost(
        inputs.iloc[train_at],
        y[train_at],
        spec,
        XGBoostParams(),
        inputs.iloc[calibration_at],
        y[calibration_at],
        args.seed,
    )
    booster.calibrate(inputs.iloc[calibration_at], y[calibration_at])
    probabilities["xgboost"] = booster.predict_proba(inputs.iloc[holdout_at])
    probabilities["reference_hgb"] = reference_hgb(
        inputs.iloc[fit_rows], y[fit_rows], inputs.iloc[holdout_at], args.seed
    )

    y_holdout = y[holdout_at]
    deals = holdout["opportunity_id"].to_numpy()
    base = probabilities["stage_win_rate"]
    first_snapshot = ~holdout["opportunity_id"].duplicated().to_numpy()
    print(f"\nholdout: {len(holdout):,} snapshots, win rate {y_holdout.mean():.3f}")
    print(
        f"{'model':<16}{'AUC':>7}{'AUC@first week':>16}{'vs stage rates [95%]':>26}{'ECE':>7}"
        f"{'EV/won (all nights)':>21}"
    )
    for name, p in probabilities.items():
        low, high = (
            (0.0, 0.0)
            if name == "stage_win_rate"
            else bootstrap_difference(deals, y_holdout, p, base, args.seed)
        )
        nights = expected_value_by_night(holdout, p)
        ratio = nights["expected_value"].sum() / nights["won"].sum()
        print(
            f"{name:<16}{roc_auc_score(y_holdout, p):>7.3f}"
            f"{roc_auc_score(y_holdout[first_snapshot], p[first_snapshot]):>16.3f}"
            f"{'' if name == 'stage_win_rate' else f'[{low:+.3f}, {high:+.3f}]':>26}"
            f"{expected_calibration_error(y_holdout, p):>7.3f}{ratio:>21.2f}"
        )
    print("\nlift by decile, xgboost:")
    print(lift_table(y_holdout, probabilities["xgboost"]).to_string(index=False))
    nights = expected_value_by_night(holdout, probabilities["xgboost"])
    print(
        f"\nnights with >= 20 holdout deals open: {len(nights)}; EV/won per night, xgboost: "
        f"median {nights['ratio'].median():.2f}, "
        f"p10 {nights['ratio'].quantile(0.1):.2f}, p90 {nights['ratio'].quantile(0.9):.2f}"
    )


if __name__ == "__main__":
    main()
