"""The registered lead model against a plain reference, per lead, on the same split.

Usage, after a nightly run (e.g. an example export mapped and run):

    SALESPIPE_HOME=... .venv/bin/python bench/lead_model_reference.py --date 2025-06-30

Rebuilds tonight's training rows, feature spec and split with the project's own code,
fits scikit-learn's HistGradientBoostingClassifier (native categoricals, default
settings, early stopping off) on the same training and calibration rows, and judges both
it and the ``lead_scoring@champion`` version on the same holdout, each lead once at each
life point (``ml.lead_scoring.evaluate``). The difference in the headline per-lead AUC
gets a 95% interval from a paired bootstrap over holdout leads, so "ahead" means ahead
by more than chance.
"""

from __future__ import annotations

import argparse
import logging
from datetime import date

import duckdb
import mlflow
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from ml.lead_scoring.config import lead_scoring_config
from ml.lead_scoring.evaluate import evaluate_per_lead, life_point_ages, life_point_rows
from ml.lead_scoring.features import FINAL_STATE_LEAKAGE, LABEL, feature_spec, model_inputs
from ml.lead_scoring.steps import training_rows as data
from ml.lead_scoring.steps.score import load_lead_model
from ml.lead_scoring.train import split_rows
from ml.registry.tracking import configure_mlflow
from ml.settings import load_settings


def reference_probability(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame, seed: int):
    """HistGradientBoosting with its own categorical support, on the same inputs."""
    # a column empty or constant in every training row carries nothing (HGB cannot bin it)
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


def headline_rows(rows: pd.DataFrame, ages: tuple[int, ...]) -> list[np.ndarray]:
    """Row positions judged by the headline: one row per lead, or each life point."""
    if rows["lead_id"].is_unique:
        return [np.arange(len(rows))]
    ages_days = pd.to_numeric(rows["lead_age_days"]).reset_index(drop=True)
    lead_ids = rows["lead_id"].reset_index(drop=True)
    return [life_point_rows(ages_days, lead_ids, age) for age in ages]


def paired_bootstrap(rows, y, p_model, p_reference, ages, seed, n=500):
    """95% interval of (model - reference) headline AUC, resampling holdout leads with
    replacement (a lead drawn k times weighs k in every AUC)."""
    rng = np.random.default_rng(seed)
    groups = headline_rows(rows, ages)
    leads = rows["lead_id"].to_numpy()
    unique, index = np.unique(leads, return_inverse=True)
    diffs = []
    for _ in range(n):
        weight = np.bincount(rng.integers(0, len(unique), len(unique)), minlength=len(unique))
        row_weight = weight[index]
        per_point = []
        for positions in groups:
            keep = positions[row_weight[positions] > 0]
            w = row_weight[keep]
            if len(keep) < 20 or not 0 < y[keep].sum() < len(keep):
                continue
            per_point.append(
                roc_auc_score(y[keep], p_model[keep], sample_weight=w)
                - roc_auc_score(y[keep], p_reference[keep], sample_weight=w)
            )
        if per_point:
            diffs.append(np.mean(per_point))
    return np.percentile(diffs, [2.5, 97.5])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", type=date.fromisoformat, required=True, help="business date")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = load_settings()
    config = lead_scoring_config(settings)
    configure_mlflow(settings)
    with duckdb.connect(str(settings.work_warehouse), read_only=True) as con:
        rows, final_state = data.read_labelled_rows(con, settings.landing, args.date, config)
    leakage = data.read_leakage_columns(settings.landing) | set(config.leakage_columns)
    if final_state:
        leakage |= FINAL_STATE_LEAKAGE
    spec = feature_spec(rows.drop(columns=["converted_at", LABEL]), leakage)
    split = split_rows(rows, config.holdout_fraction, config.calibration_fraction, config.seed)
    inputs = model_inputs(rows, spec)
    y = rows[LABEL].to_numpy().astype(int)
    fit_rows = np.concatenate([split.train, split.calibration])
    holdout = rows.iloc[split.holdout].reset_index(drop=True)
    y_holdout = y[split.holdout]
    reference = reference_probability(
        inputs.iloc[fit_rows], y[fit_rows], inputs.iloc[split.holdout], config.seed
    )
    client = mlflow.MlflowClient()
    version = client.get_model_version_by_alias("lead_scoring", "champion")
    model = load_lead_model(f"models:/lead_scoring/{version.version}")
    champion = model.predict_proba(model_inputs(holdout, model.spec))
    ages = life_point_ages()
    window = config.label_window_days
    ours = evaluate_per_lead(holdout, y_holdout, champion, ages, window)
    theirs = evaluate_per_lead(holdout, y_holdout, reference, ages, window)
    low, high = paired_bootstrap(holdout, y_holdout, champion, reference, ages, config.seed)
    print(
        f"training rows: {'final states' if final_state else 'snapshots'}, split {split.method}, "
        f"holdout {holdout['lead_id'].nunique():,} leads ({int(y_holdout.sum()):,} converted)"
    )
    ages_shown = sorted(ours.points)
    print("| model | per-lead AUC |" + "".join(f" age {a} |" for a in ages_shown))
    print("|---|---|" + "---|" * len(ages_shown))
    for name, result in (
        (f"lead_scoring v{version.version} ({version.tags.get('estimator', '?')})", ours),
        ("HistGradientBoosting reference", theirs),
    ):
        points = "".join(
            f" {result.points[a].roc_auc:.3f} |" if a in result.points else " - |"
            for a in ages_shown
        )
        print(f"| {name} | {result.headline_auc:.3f} |{points}")
    print(f"difference {ours.headline_auc - theirs.headline_auc:+.3f}, "
          f"95% paired bootstrap interval [{low:+.3f}, {high:+.3f}]")  # fmt: skip


if __name__ == "__main__":
    main()
