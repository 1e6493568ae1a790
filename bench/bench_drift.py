"""Benchmark the drift stage at 1M scored leads, and how stable its verdicts are on samples.

Usage (from the repository root):

    .venv/bin/python bench/bench_drift.py --rows 1000000 --repeats 3
    .venv/bin/python bench/bench_drift.py --rows 1000000 --stability-only --seeds 5

Data: frames shaped like ``marts.lead_features`` (30 feature columns: strings with
nulls, booleans, counts, skewed numbers) with a score per row, drawn here so the
benchmark needs no warehouse. The reference is the training distribution; the
"quiet" current differs from it a little (a few points of source mix, 3% more
activity, as between two ordinary nights); the "drifted" current has the generator's
drift (``ml.generate.drift``: paid search and partners up, bigger companies) plus
12% more activity and older leads; "scores shifted" has the reference's features but
scores 0.4 higher in log-odds (as after a miscalibrated model or a broken feature).

(a) Timing: each repetition runs the whole drift stage in a fresh process, as an
Airflow task would: import, seeded samples of 1M current rows and of the reference,
data drift on 30 columns, prediction drift, the HTML report. The same-moment baseline
is a deep copy of the 1M-row frame in that process. Medians and ratios are printed.

(b) Stability: for each pair (quiet, drifted), the full-data verdict of every feature
(Evidently's own test functions on all rows, the same ones ValueDrift calls), then the
verdicts of the drift stage on samples of several sizes and seeds; printed as the
agreement rate of per-feature verdicts (and of the dataset and prediction verdicts)
with the full-data ones.

Results are appended as JSON lines to bench/results/drift.jsonl.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ml.generate import vocab  # noqa: E402
from ml.generate.drift import DRIFTED_SOURCE_WEIGHTS  # noqa: E402
from ml.monitoring import DriftConfig, measure_data_drift, measure_prediction_drift  # noqa: E402
from ml.monitoring.columns import NUMERIC, prepare_column  # noqa: E402
from ml.monitoring.reference import PREDICTION, reference_sample  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "drift.jsonl"
# A feature whose full-data score is this close to its threshold is borderline: its
# verdict is a coin toss at any sample size, so agreement is also shown without them.
BORDERLINE = 0.02
SENIORITY = np.repeat(
    ["c_level", "vp", "director", "manager", "analyst", "specialist", "intern"],
    [4, 3, 3, 3, 2, 2, 1],
)
SIZE_BANDS = np.array(["1-49", "50-199", "200-999", "1000-4999", "5000+"])
TIERS = np.array(["A", "B", "C", "D"])


def lead_features(
    n: int, seed: int, *, drift: float = 0.0, wobble: float = 0.0, score_shift: float = 0.0
) -> pd.DataFrame:
    """``n`` rows shaped like marts.lead_features (30 features) and a ``prediction``.

    ``drift`` in [0, 1] moves sources and company sizes as the generator's drift does;
    ``wobble`` is a small ordinary difference (mix and activity a few percent off);
    ``score_shift`` is added to every score's log-odds (scores drift, features do not).
    """
    r = np.random.default_rng(seed)
    weights = vocab.SOURCE_WEIGHTS / vocab.SOURCE_WEIGHTS.sum()
    weights = (1 - drift) * weights + drift * DRIFTED_SOURCE_WEIGHTS
    weights = weights * (1 + wobble * np.array([1, -1, 1, -1, 1, -1]))
    source = r.choice(6, n, p=weights / weights.sum())
    size = np.exp(r.normal(np.log(150), 1.4, (n, 3)))
    employees = np.where(r.random(n) < drift, size.max(axis=1), size[:, 0]).round().clip(2, 250_000)
    title = r.choice(18, n, p=vocab.TITLE_WEIGHTS / vocab.TITLE_WEIGHTS.sum())
    no_title = r.random(n) < 0.05
    interest = r.standard_normal(n)
    drifted = drift > 0  # drifted leads are also older and more active
    age = np.minimum(r.exponential(44 if drifted else 40, n), 365)
    busier = 1 + wobble + (0.12 if drifted else 0.0)
    activity = busier * np.exp(0.5 * interest) * np.minimum(age, 30) / 30
    counts = {
        t: r.poisson(rate * activity)
        for t, rate in (
            ("email", 3),
            ("call", 2),
            ("meeting", 0.6),
            ("demo", 0.4),
            ("web_visit", 3.5),
        )
    }
    total = sum(counts.values())
    recent = r.binomial(total, np.minimum(1, 14 / (age + 1)))
    form = r.choice(5, n, p=vocab.LEAD_FORM_WEIGHTS)
    no_form = r.random(n) < np.where(source == 4, 0.6, 0.1)
    seats = np.round(np.exp(r.normal(np.log(np.maximum(3, employees * 0.08)), 0.6)))
    has_seats = ~no_form & vocab.LEAD_FORM_ASKS_SEATS[form] & (r.random(n) < 0.75)
    has_employees = r.random(n) >= 0.05
    country = r.choice(
        13, n, p=vocab.COUNTRY_WEIGHT_IN_REGION / vocab.COUNTRY_WEIGHT_IN_REGION.sum()
    )
    logit = (
        -2.4
        + vocab.SOURCE_EFFECT[source]
        + np.where(no_title, 0, vocab.TITLE_EFFECT[title])
        + 0.35 * (np.log10(employees) - 2)
        + 0.5 * np.log1p(counts["meeting"] + counts["demo"])
    )
    frame = pd.DataFrame(
        {
            "source": np.array(vocab.SOURCES)[source],
            "status": r.choice(["open", "working", "qualified"], n, p=[0.35, 0.5, 0.15]),
            "title": np.where(no_title, None, np.array(vocab.TITLES, dtype=object)[title]),
            "title_seniority": np.where(no_title, None, SENIORITY[title].astype(object)),
            "employees": np.where(has_employees, employees, np.nan),
            "company_size_band": np.where(
                has_employees,
                SIZE_BANDS[np.searchsorted([50, 200, 1000, 5000], employees, "right")],
                None,
            ),
            "industry": np.array(vocab.INDUSTRIES)[r.integers(0, 10, n)],
            "country": np.array(vocab.COUNTRIES)[country],
            "region": np.array(vocab.REGIONS)[vocab.COUNTRY_REGION[country]],
            "owner_rep_id": np.char.add("R", r.integers(1, 401, n).astype(str)),
            "account_tier": TIERS[np.minimum(np.log10(employees).astype(int), 3)],
            "is_free_email_domain": r.random(n) < 0.2,
            "has_phone": r.random(n) < 0.8,
            "attr_budget_confirmed": r.choice(
                np.array(["yes", "no", None], dtype=object), n, p=vocab.BUDGET_WEIGHTS
            ),
            "attr_lead_form": np.where(
                no_form, None, np.array(vocab.LEAD_FORMS, dtype=object)[form]
            ),
            "attr_seats_requested": np.where(has_seats, seats, np.nan),
            "activities_total": total,
            **{f"activities_{t}": c for t, c in counts.items()},
            "activities_last_14_days": recent,
            "days_since_last_activity": np.where(
                total > 0, np.minimum(age, r.exponential(7, n)).round(), np.nan
            ),
            "lead_age_days": age.round(),
            "days_in_status": np.minimum(age, r.exponential(12, n)).round(),
            "activities_per_week": total / np.maximum(age, 1) * 7,
            "emails_opened_share": r.beta(2 + interest.clip(-1.5, 1.5), 3),
            "created_hour": r.integers(0, 24, n),
            "created_weekday": r.choice(7, n, p=vocab.WEEKDAY_FACTOR / vocab.WEEKDAY_FACTOR.sum()),
        }
    )
    frame[PREDICTION] = 1 / (1 + np.exp(-(logit + score_shift)))
    return frame


FEATURES = [c for c in lead_features(10, 0).columns if c != PREDICTION]


def one_run(folder: Path, out: Path) -> None:
    """One repetition of the drift stage, in this (fresh) process; timings to ``out``."""
    started = time.perf_counter()
    current = pd.read_parquet(folder / "current.parquet")
    reference = pd.read_parquet(folder / "reference.parquet")
    timings = {"read_parquet": time.perf_counter() - started}
    t = time.perf_counter()
    current.copy(deep=True)
    timings["baseline_copy"] = time.perf_counter() - t

    t = time.perf_counter()
    import evidently.metrics  # noqa: F401  (what the stage pays for on its first comparison)

    from ml.monitoring import save_drift_report

    timings["import"] = time.perf_counter() - t
    config = DriftConfig()
    t = time.perf_counter()
    data = measure_data_drift(reference, current, FEATURES, config)
    timings["data_drift"] = time.perf_counter() - t
    t = time.perf_counter()
    prediction = measure_prediction_drift(reference[PREDICTION], current[PREDICTION], config)
    timings["prediction_drift"] = time.perf_counter() - t
    t = time.perf_counter()
    save_drift_report(folder / "reports", dt.date(2026, 1, 1), "lead_scoring", [data, prediction])
    timings["html_report"] = time.perf_counter() - t
    timings["drift_stage"] = sum(
        timings[k] for k in ("import", "data_drift", "prediction_drift", "html_report")
    )
    out.write_text(json.dumps(timings))


def timing(rows: int, repeats: int, config: DriftConfig) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        reference = lead_features(rows, 1)
        stored = reference_sample(
            reference.drop(columns=PREDICTION),
            reference[PREDICTION].to_numpy(),
            config.reference_sample_size,
            config.seed,
        )
        stored.to_parquet(folder / "reference.parquet")
        lead_features(rows, 2, drift=1.0).to_parquet(folder / "current.parquet")
        runs = []
        for i in range(repeats):
            out = folder / f"run{i}.json"
            command = [sys.executable, __file__, "--one-run", str(folder), str(out)]
            subprocess.run(command, check=True)
            runs.append(json.loads(out.read_text()))
    stages = {}
    for name in runs[0]:
        values = [r[name] for r in runs]
        ratios = [r[name] / r["baseline_copy"] for r in runs]
        stages[name] = {
            "median_s": statistics.median(values),
            "min_s": min(values),
            "max_s": max(values),
            "median_ratio_to_baseline": statistics.median(ratios),
        }
    return {"rows": rows, "repeats": repeats, "stages": stages}


def full_verdicts(reference: pd.DataFrame, current: pd.DataFrame, config: DriftConfig):
    """Per feature and for the prediction: (score, drifted, threshold) on all rows.

    Column by column, with the values the drift stage would compare and Evidently's
    registered test function, the one ValueDrift calls.
    """
    from evidently.legacy.calculations.stattests.registry import get_registered_stattest
    from evidently.legacy.core import ColumnType

    found = {}
    for feature in [*FEATURES, PREDICTION]:
        row, values = prepare_column(feature, reference, current)
        assert values is not None, (feature, row["note"])
        if feature == PREDICTION:
            test, threshold = config.prediction_test, config.prediction_threshold
        elif row["kind"] == NUMERIC:
            test, threshold = config.numeric_test, config.numeric_threshold
        else:
            test, threshold = config.categorical_test, config.categorical_threshold
        kind = ColumnType.Numerical if row["kind"] == NUMERIC else ColumnType.Categorical
        ref, cur = (pd.Series(v).dropna() for v in values)
        result = get_registered_stattest(test, kind)(ref, cur, kind, threshold)
        found[feature] = (float(result.drift_score), bool(result.drifted), threshold)
    return found


def stability(rows: int, sizes: list[int], seeds: int) -> dict[str, object]:
    """Verdicts on samples of each size and seed against the full-data verdicts."""
    reference = lead_features(rows, 1)
    pairs = {
        "quiet": lead_features(rows, 3, wobble=0.03),
        "drifted": lead_features(rows, 2, drift=1.0),
        "scores shifted": lead_features(rows, 4, score_shift=0.4),
    }
    base = DriftConfig()
    report: dict[str, object] = {"rows": rows, "sizes": sizes, "seeds": seeds, "pairs": {}}
    for name, current in pairs.items():
        full = full_verdicts(reference, current, base)
        full_share = float(np.mean([full[f][1] for f in FEATURES]))
        full_dataset = full_share >= base.share_drifted_features
        clear = {f for f in FEATURES if abs(full[f][0] - full[f][2]) >= BORDERLINE}
        per_size = {}
        for size in sizes:
            agree, agree_clear, dataset, prediction = 0, 0, 0, 0
            flips: dict[str, int] = {}
            errors: list[float] = []
            worst: dict[str, float] = {}
            seconds = []
            for seed in range(seeds):
                config = replace(
                    base, reference_sample_size=size, current_sample_size=size, seed=seed
                )
                t = time.perf_counter()
                data = measure_data_drift(reference, current, FEATURES, config)
                seconds.append(time.perf_counter() - t)
                pred = measure_prediction_drift(reference[PREDICTION], current[PREDICTION], config)
                for row in data.rows.itertuples(index=False):
                    error = abs(row.drift_score - full[row.feature][0])
                    errors.append(error)
                    worst[row.feature] = max(worst.get(row.feature, 0.0), error)
                    if row.drifted == full[row.feature][1]:
                        agree += 1
                        agree_clear += row.feature in clear
                    else:
                        flips[row.feature] = flips.get(row.feature, 0) + 1
                dataset += data.drifted == full_dataset
                prediction += pred.drifted == full[PREDICTION][1]
            per_size[size] = {
                "feature_agreement": agree / (seeds * len(FEATURES)),
                "clear_feature_agreement": agree_clear / (seeds * len(clear)) if clear else 1.0,
                "median_score_error": statistics.median(errors),
                "max_score_error": max(errors),
                "max_error_feature": max(worst, key=worst.__getitem__),
                "dataset_agreement": dataset / seeds,
                "prediction_agreement": prediction / seeds,
                "flipped_features": flips,
                "median_data_drift_s": statistics.median(seconds),
            }
        report["pairs"][name] = {
            "full": {f: {"score": s, "drifted": d} for f, (s, d, _) in full.items()},
            "full_share_drifted": full_share,
            "borderline": [f for f in FEATURES if f not in clear],
            "by_size": per_size,
        }
    return report


def print_tables(timed: dict | None, stable: dict | None) -> None:
    if timed:
        print(f"\n**Drift stage at {timed['rows']:,} rows**, median of {timed['repeats']}:\n")
        print("| part | median s | min-max s | x baseline |\n|---|---:|---:|---:|")
        for name, s in timed["stages"].items():
            spread = f"{s['min_s']:.2f}-{s['max_s']:.2f}"
            ratio = s["median_ratio_to_baseline"]
            print(f"| {name} | {s['median_s']:.2f} | {spread} | {ratio:.2f} |")
    if not stable:
        return
    print(f"\n**Verdict stability**: {stable['seeds']} seeds, {stable['rows']:,} rows a side\n")
    print(
        "| pair | sample rows a side | per-feature agreement | without borderline "
        "| score error median / max | dataset verdict | prediction verdict "
        "| features that flipped (times) | data drift s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|")
    for name, pair in stable["pairs"].items():
        for size, s in pair["by_size"].items():
            flips = ", ".join(f"{f} ({k})" for f, k in sorted(s["flipped_features"].items()))
            cells = [
                name,
                f"{int(size):,}",
                f"{s['feature_agreement']:.1%}",
                f"{s['clear_feature_agreement']:.1%}",
                f"{s['median_score_error']:.4f} / {s['max_score_error']:.3f} "
                f"({s['max_error_feature']})",
                f"{s['dataset_agreement']:.0%}",
                f"{s['prediction_agreement']:.0%}",
                flips or "-",
                f"{s['median_data_drift_s']:.1f}",
            ]
            print("| " + " | ".join(cells) + " |")
    for name, pair in stable["pairs"].items():
        full = pair["full"]
        drifted = [f for f, v in full.items() if v["drifted"]]
        near = [f"{f} {v['score']:.3f}" for f, v in full.items() if 0.05 <= v["score"] <= 0.2]
        print(f"\n{name}: full-data share drifted {pair['full_share_drifted']:.0%}")
        print(f"  drifted on all rows: {', '.join(drifted) or '-'}")
        print(f"  borderline (within {BORDERLINE}): {', '.join(pair['borderline']) or '-'}")
        print(f"  prediction {full[PREDICTION]['score']:.3f}; scores 0.05-0.2: {', '.join(near)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--sizes", default="1000,2000,5000,10000,20000,50000")
    parser.add_argument("--timing-only", action="store_true")
    parser.add_argument("--stability-only", action="store_true")
    parser.add_argument("--one-run", nargs=2, metavar=("FOLDER", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_run:
        one_run(Path(args.one_run[0]), Path(args.one_run[1]))
        return
    timed = None if args.stability_only else timing(args.rows, args.repeats, DriftConfig())
    stable = None
    if not args.timing_only:
        stable = stability(args.rows, [int(s) for s in args.sizes.split(",")], args.seeds)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"timing": timed, "stability": stable}) + "\n")
    print_tables(timed, stable)


if __name__ == "__main__":
    main()
