"""Lead-model quality on a generated data set, against the generator's own ceiling.

Usage, after a nightly run on a generated landing zone (e.g. `salespipe demo`, or
`salespipe generate` + `salespipe run`):

    SALESPIPE_HOME=... .venv/bin/python bench/lead_model_quality.py

Reads the latest lead-scoring training from MLflow (both candidates' holdout metrics)
and rebuilds the same holdout rows with the same code and settings, to score the
generator's true conversion probabilities (``<landing>/_truth/leads.csv``) on them.

Two populations are reported, because a snapshot reveals more than the truth knows:
all holdout snapshots (what nightly scoring sees: old open leads with no recent activity
are easy negatives the models can read from the features, but the truth cannot), and
each holdout lead's first snapshot only (the lead near its creation, where the truth's
probability is the honest ceiling).
"""

from __future__ import annotations

import logging

import duckdb
import mlflow
import numpy as np
import pandas as pd

from ml.lead_scoring.config import lead_scoring_config
from ml.lead_scoring.features import LABEL, labelled_snapshots, model_inputs
from ml.lead_scoring.steps import training_rows as data
from ml.lead_scoring.steps.score import load_lead_model
from ml.lead_scoring.train import split_rows
from ml.metrics import classification_metrics
from ml.registry.tracking import configure_mlflow
from ml.settings import load_settings


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    settings = load_settings()
    config = lead_scoring_config(settings)
    configure_mlflow(settings)
    client = mlflow.MlflowClient()
    experiment = client.get_experiment_by_name("lead_scoring")
    training = client.search_runs(
        [experiment.experiment_id], "tags.salespipe_kind = 'training'",
        order_by=["attributes.start_time DESC"], max_results=1,
    )[0]  # fmt: skip
    business_date = pd.Timestamp(training.data.params["business_date"]).date()
    candidates = client.search_runs(
        [experiment.experiment_id], f"tags.mlflow.parentRunId = '{training.info.run_id}'"
    )
    with duckdb.connect(str(settings.work_warehouse), read_only=True) as con:
        snapshots = data.read_training_snapshots(
            con, business_date, config.label_window_days, config.max_training_rows, config.seed
        )
    outcomes = snapshots[["lead_id", "converted_at"]].drop_duplicates("lead_id")
    rows = labelled_snapshots(snapshots, outcomes, business_date, config.label_window_days)
    split = split_rows(rows, config.holdout_fraction, config.calibration_fraction, config.seed)
    holdout = rows.iloc[split.holdout].reset_index(drop=True)
    truth = pd.read_csv(settings.landing / "_truth" / "leads.csv", dtype={"lead_id": str})
    holdout["true_p"] = holdout["lead_id"].map(
        truth.set_index("lead_id")["true_conversion_probability"]
    )
    first = holdout.groupby("lead_id")["as_of_date"].transform("min") == holdout["as_of_date"]
    version = training.data.tags.get("registered_version")
    model = load_lead_model(f"models:/lead_scoring/{version}") if version else None

    print(f"business date {business_date}; holdout: {len(holdout):,} snapshots of "
          f"{holdout['lead_id'].nunique():,} leads ({split.method}); "
          f"mature leads {int(training.data.metrics['mature_leads']):,}, "
          f"converted {int(training.data.metrics['converted_leads']):,}\n")  # fmt: skip
    print("| population | model | ROC-AUC | ECE | top-decile lift | PR-AUC | log-loss |")
    print("|---|---|---|---|---|---|---|")
    for run in sorted(candidates, key=lambda r: r.data.params["estimator"]):
        m = run.data.metrics
        print(f"| all holdout snapshots | {run.data.params['estimator']} | {m['holdout_roc_auc']:.4f} | "  # noqa: E501
              f"{m['holdout_expected_calibration_error']:.4f} | {m['holdout_top_decile_lift']:.2f} | "  # noqa: E501
              f"{m['holdout_pr_auc']:.4f} | {m['holdout_log_loss']:.4f} |")  # fmt: skip
    y = holdout[LABEL].to_numpy().astype(int)
    for population, mask in (
        ("all holdout snapshots", np.ones(len(y), bool)),
        ("first snapshot per lead", first.to_numpy()),
    ):
        scored = {"generator truth (ceiling)": holdout["true_p"].to_numpy()}
        if model is not None and population != "all holdout snapshots":
            scored[f"registered v{version} ({model.kind})"] = model.predict_proba(
                model_inputs(holdout, model.spec)
            )  # fmt: skip
        for name, p in scored.items():
            m = classification_metrics(y[mask], p[mask])
            print(f"| {population} | {name} | {m.roc_auc:.4f} | {m.expected_calibration_error:.4f} | "  # noqa: E501
                  f"{m.top_decile_lift:.2f} | {m.pr_auc:.4f} | {m.log_loss:.4f} |")  # fmt: skip


if __name__ == "__main__":
    main()
