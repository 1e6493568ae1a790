"""Benchmark lead scoring at scale: training on N leads, and scoring N open leads with
their factors and the write-back, through the same steps the DAGs call.

Usage (from the repository root, after `python3 dev.py setup`):

    .venv/bin/python bench/bench_lead_scoring.py --leads 1000000 --repeats 3

A synthetic ``marts.lead_features`` / ``marts.lead_outcomes`` pair shaped like the real
marts (the same 21 feature columns, with signal) is written to a throw-away working
warehouse: N mature leads (one snapshot each) to train on, and N leads open on the
business date to score. Each repetition then times, in this order:

- ``baseline_xgboost``: plain ``xgboost.train`` (hist, 100 rounds) on the N x 21 numeric
  matrix, plus one ``predict`` of N rows: the floor any lead model here stands on;
- ``train``: ``train_lead_model`` end to end: read, both candidates, figures, MLflow
  logging and registration, the promotion gate;
- ``score``: ``score_open_leads`` end to end: read, load the champion from MLflow, exact
  contributions, top factors as JSON, the ml.lead_scores suite, the write;
- ``monitor``: ``monitor_lead_model`` end to end: read the N open leads, every score and
  outcome, data and prediction drift against the champion's reference (Evidently, seeded
  20k samples), realised performance, the HTML report, the monitoring tables.

Medians and ratios to the same repetition's baseline are printed as a Markdown table
and appended as JSON lines to bench/results/lead_scoring.jsonl.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BUSINESS_DATE = date(2025, 12, 31)


def synthetic_marts(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """N mature snapshots (created 100-465 days before D) and N open on D, with outcomes."""
    rng = np.random.default_rng(seed)
    total = 2 * n
    age = np.concatenate([rng.uniform(100, 465, n), rng.uniform(0, 90, n)])
    created = pd.Timestamp(BUSINESS_DATE) - pd.to_timedelta(age, unit="D")
    as_of = np.where(np.arange(total) < n, (created + pd.Timedelta(days=14)).normalize(),
                     pd.Timestamp(BUSINESS_DATE))  # fmt: skip
    source = rng.choice(["web", "outbound", "paid_search", "partner", "event", "referral"], total)
    activities = rng.poisson(4, (total, 5)).astype(float)
    logit = (
        -2.5 + 0.3 * activities[:, 3] + 0.1 * activities.sum(axis=1) - 0.6 * (source == "outbound")
    )
    converted = rng.random(total) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(
        {
            "lead_id": [f"L{i:09d}" for i in range(total)],
            "as_of_date": pd.to_datetime(as_of),
            "created_at": created,
            "lead_age_days": (pd.to_datetime(as_of) - created.normalize()).days,
            "lead_version_updated_at": created,
            "source": source,
            "status": rng.choice(["open", "working", "qualified"], total),
            "title": "Manager",
            "title_seniority": rng.choice(["individual", "manager", "director", "vp", "c_level"], total),  # noqa: E501
            "employees": rng.lognormal(5, 1.5, total).astype(np.int64),
            "company_size_band": rng.choice(["1-10", "11-50", "51-200", "201-1000", "1001-5000"], total),  # noqa: E501
            "industry": rng.choice([f"industry_{i}" for i in range(12)], total),
            "country": rng.choice([f"C{i}" for i in range(20)], total),
            "owner_rep_id": rng.choice([f"R{i:04d}" for i in range(200)], total),
            "account_id": [f"A{i}" for i in rng.integers(0, 100_000, total)],
            "is_free_email_domain": rng.random(total) < 0.2,
            "attr_budget_confirmed": rng.choice(["yes", "no", None], total),
            "attr_lead_form": rng.choice(["webinar", "pricing", "demo_request", None], total),
            "attr_seats_requested": np.where(rng.random(total) < 0.4, rng.integers(1, 200, total).astype(str), None),  # noqa: E501
            "activities_total": activities.sum(axis=1),
            "activities_email": activities[:, 0],
            "activities_call": activities[:, 1],
            "activities_meeting": activities[:, 2],
            "activities_demo": activities[:, 3],
            "activities_web_visit": activities[:, 4],
            "activities_last_14_days": rng.poisson(2, total).astype(float),
            "days_since_last_activity": rng.integers(0, 60, total),
        }
    )  # fmt: skip
    outcomes = pd.DataFrame(
        {
            "lead_id": frame["lead_id"],
            "created_at": created,
            "converted_at": np.where(
                converted & (np.arange(total) < n), created + pd.Timedelta(days=30), pd.NaT
            ),
        }
    )
    return frame, outcomes


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def baseline_xgboost(frame: pd.DataFrame) -> None:
    import xgboost as xgb

    numeric = frame.select_dtypes("number").to_numpy(np.float32)
    label = (np.random.default_rng(0).random(len(frame)) < 0.1).astype(np.float32)
    booster = xgb.train({"tree_method": "hist", "max_depth": 6, "nthread": 2},
                        xgb.DMatrix(numeric, label), num_boost_round=100)  # fmt: skip
    booster.predict(xgb.DMatrix(numeric))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="bench-lead-scoring-") as folder:
        home = Path(folder)
        os.environ.update({"SALESPIPE_HOME": str(home), "SALESPIPE_LANDING": str(home / "landing")})
        from ml.lead_scoring.steps import score_open_leads, train_lead_model
        from ml.settings import load_settings

        settings = load_settings()
        print(
            f"writing {args.leads:,} mature + {args.leads:,} open synthetic leads ...", flush=True
        )
        frame, outcomes = synthetic_marts(args.leads, seed=7)
        settings.work_warehouse.parent.mkdir(parents=True)
        with duckdb.connect(str(settings.work_warehouse)) as con:
            con.execute("create schema marts")
            con.execute("create table marts.lead_features as select * from frame")
            con.execute("create table marts.lead_outcomes as select * from outcomes")
        training_rows = frame.iloc[: args.leads]
        from ml.lead_scoring.steps import monitor_lead_model

        results: dict[str, list[float]] = {
            "baseline_xgboost": [], "train": [], "score": [], "monitor": []
        }  # fmt: skip
        for repeat in range(args.repeats):
            results["baseline_xgboost"].append(timed(lambda: baseline_xgboost(training_rows)))
            results["train"].append(
                timed(lambda: train_lead_model(BUSINESS_DATE - timedelta(days=0)))
            )
            results["score"].append(timed(lambda: score_open_leads(BUSINESS_DATE)))
            results["monitor"].append(timed(lambda: monitor_lead_model(BUSINESS_DATE)))
            print(f"repeat {repeat + 1}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in results.items()),  # noqa: E501
                  flush=True)  # fmt: skip

    base = results["baseline_xgboost"]
    print(f"\n| stage ({args.leads:,} leads) | median | ratio to baseline |\n|---|---|---|")
    for stage, times in results.items():
        ratios = [t / b for t, b in zip(times, base, strict=True)]
        print(f"| {stage} | {statistics.median(times):.1f} s | {statistics.median(ratios):.2f}x |")
    out = ROOT / "bench" / "results" / "lead_scoring.jsonl"
    out.parent.mkdir(exist_ok=True)
    with out.open("a") as handle:
        handle.write(
            json.dumps({"leads": args.leads, "python": sys.version.split()[0], **results}) + "\n"
        )


if __name__ == "__main__":
    main()
