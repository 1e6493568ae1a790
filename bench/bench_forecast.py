"""Benchmark (speed) and measure (quality) the revenue forecasting stage.

Usage (from the repository root):

    # Speed: ~500 weekly segment series x 3 years, synthetic, medians of 3 repetitions.
    .venv/bin/python bench/bench_forecast.py speed --repeats 3

    # Quality: the backtest on a real warehouse (e.g. a generated 3-year one, or Maven's).
    .venv/bin/python bench/bench_forecast.py quality \
        --warehouse /tmp/fc_home3/warehouse/salespipe.duckdb --as-of 2026-12-30

Speed: every repetition builds the series, runs the backtest (all models), fits the
forecaster and forecasts, in this process, and times each part; the backtest is also
broken down per model from its own timings. The machine is shared and noisy, so each
repetition also times a baseline on the same series at the same moment: seasonal-naive
forecasts for every series at every backtest origin (the cheapest honest forecast), and
stages are reported as a ratio to it as well as in seconds.

Quality: per grain and level, each model's mean MASE relative to seasonal naive and the
leave-one-origin-out coverage of the 80% and 95% intervals (``BacktestResult.summary``),
plus the champions chosen. The ``champion`` rows are what the forecaster would have
published at each origin (champion chosen without that origin, reconciled, intervals
calibrated without it).

Results are appended as JSON lines to bench/results/forecast.jsonl and printed.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ml.forecasting import (  # noqa: E402
    GRAINS,
    ForecastConfig,
    build_series,
    fit_forecaster,
    market_covariates,
    run_backtest,
)
from ml.forecasting.models.backtest import plan_origins  # noqa: E402
from ml.forecasting.models.baselines import seasonal_naive  # noqa: E402
from ml.forecasting.models.panel import build_panel  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "forecast.jsonl"


def synthetic_marts(regions: int, products: int, reps: int, days: int, seed: int = 0):
    """Dense daily_revenue with 1 + regions + products + reps series, and a PMI."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    t = np.arange(days) / 365.0
    to_end = (dates + pd.offsets.MonthEnd(0) - dates).days.to_numpy()
    base = 0.4 * np.exp(0.3 * t) * np.where(to_end < 3, 5.0, 1.0)
    base *= np.where(dates.dayofweek.to_numpy() >= 5, 0.05, 1.0)
    base *= 1 + 0.2 * np.sin(2 * np.pi * t)
    frames = []
    for r in range(reps):
        deals = rng.poisson(base * rng.uniform(0.3, 1.5))
        amounts = np.array([rng.lognormal(9, 0.8, n).sum() for n in deals])
        frames.append(
            pd.DataFrame(
                {
                    "revenue_date": dates.date,
                    "region": f"R{r % regions:02d}",
                    "product": f"P{r % products:02d}",
                    "owner_rep_id": f"rep{r:03d}",
                    "won_amount": amounts.round(2),
                }
            )
        )
    market = pd.DataFrame(
        {
            "indicator_date": dates.date,
            "indicator": "pmi",
            "indicator_value": 50 + np.cumsum(rng.normal(0, 0.3, days)),
        }
    )
    return pd.concat(frames, ignore_index=True), market


def baseline_seconds(series, config: ForecastConfig) -> float:
    """Seasonal-naive forecasts for every series at every backtest origin, both grains."""
    started = time.perf_counter()
    for grain in GRAINS:
        panel = build_panel(series, None, grain)
        horizon = config.per_grain("horizon", grain)
        season = config.per_grain("season_length", grain)
        total = panel.y[0]
        origins = plan_origins(int(np.argmax(total > 0)), panel.length, horizon, config, grain)
        for origin in [*origins, panel.length]:
            w = np.ones(origin + horizon)
            for s in range(len(panel.segments)):
                seasonal_naive(panel.y[s, :origin], w[:origin], w[origin:], season)
    return time.perf_counter() - started


def speed(args: argparse.Namespace) -> None:
    config = ForecastConfig()
    daily, market = synthetic_marts(args.regions, args.products, args.reps, args.days)
    as_of = pd.Timestamp(daily["revenue_date"].max()).date()
    runs = []
    for repeat in range(args.repeats):
        row: dict[str, float] = {}
        started = time.perf_counter()
        series = build_series(daily, config, as_of=as_of)
        covariates = {g: market_covariates(market, g) for g in GRAINS}
        row["build_series"] = time.perf_counter() - started
        row["baseline_seasonal_naive"] = baseline_seconds(series, config)
        started = time.perf_counter()
        backtest = run_backtest(series, covariates, config)
        row["backtest"] = time.perf_counter() - started
        for key, seconds in backtest.timings.items():
            row[f"backtest.{key}"] = seconds
        started = time.perf_counter()
        forecaster = fit_forecaster(series, covariates, backtest, config)
        row["fit"] = time.perf_counter() - started
        started = time.perf_counter()
        forecaster.forecast(series, covariates, as_of)
        row["forecast"] = time.perf_counter() - started
        row["whole_stage"] = row["build_series"] + row["backtest"] + row["fit"] + row["forecast"]
        row["series_week"] = series.frame("week").shape[1]
        row["weeks"] = series.frame("week").shape[0]
        runs.append(row)
        print(f"repetition {repeat + 1}: " + json.dumps({k: round(v, 2) for k, v in row.items()}))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary = {
        "mode": "speed",
        "date": date.today().isoformat(),
        "repeats": args.repeats,
        "peak_rss_mib": round(peak),
        "runs": runs,
    }
    _append(summary)
    counts = [k for k in runs[0] if k.endswith("ets_series") or k in ("series_week", "weeks")]
    keys = [k for k in runs[0] if k not in counts]
    base = statistics.median(r["baseline_seasonal_naive"] for r in runs)
    print(f"\n{runs[0]['series_week']:.0f} weekly series x {runs[0]['weeks']:.0f} weeks, "
          f"median of {args.repeats}, peak RSS {peak:,.0f} MiB; series within the ETS budget: "
          + ", ".join(f"{k} {runs[-1][k]:.0f}" for k in counts if k.endswith("ets_series"))
          + "\n")  # fmt: skip
    print("| stage | median s | min-max s | x baseline |\n|---|---:|---:|---:|")
    for key in keys:
        values = [r.get(key, float("nan")) for r in runs]
        median = statistics.median(values)
        print(
            f"| {key} | {median:.2f} | {min(values):.2f}-{max(values):.2f} | {median / base:,.0f} |"
        )


def quality(args: argparse.Namespace) -> None:
    import duckdb

    overrides = json.loads(args.config) if args.config else {}
    config = replace(ForecastConfig(), **overrides)
    with duckdb.connect(args.warehouse, read_only=True) as con:
        daily = con.execute("select * from marts.daily_revenue").df()
        market = con.execute("select * from marts.market_indicators_daily").df()
    as_of = date.fromisoformat(args.as_of)
    started = time.perf_counter()
    series = build_series(daily, config, as_of=as_of)
    covariates = {g: market_covariates(market, g) for g in GRAINS}
    backtest = run_backtest(series, covariates, config)
    forecaster = fit_forecaster(series, covariates, backtest, config)
    forecast = forecaster.forecast(series, covariates, as_of)
    seconds = time.perf_counter() - started
    summary = backtest.summary()
    origins = {g: len(r.origins) for g, r in backtest.grains.items()}
    champions = forecaster.champions.groupby(["grain", "level", "method"]).size()
    statuses = series.status.groupby(["grain", "status"]).size()
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(f"warehouse {args.warehouse} as of {as_of}: origins {origins}, {seconds:.0f} s")
        print(statuses.to_string(), "\n")
        print(summary.round(3).to_string(index=False), "\n")
        print(champions.to_string(), "\n")
        print(forecast[forecast["segment"] == "total"].head(3).to_string(index=False))
    holdout = None
    if args.holdout:
        holdout = holdout_check(daily, market, as_of, config)
        with pd.option_context("display.width", 200):
            print("\nHoldout: the whole chain as of one horizon earlier, against what happened")
            print(holdout.round(3).to_string(index=False))
    _append(
        {
            "mode": "quality",
            "date": date.today().isoformat(),
            "warehouse": args.warehouse,
            "as_of": args.as_of,
            "config": overrides,
            "origins": origins,
            "seconds": seconds,
            "summary": summary.to_dict(orient="records"),
            "holdout": None if holdout is None else holdout.to_dict(orient="records"),
        }
    )


def holdout_check(
    daily: pd.DataFrame, market: pd.DataFrame, as_of: date, config: ForecastConfig
) -> pd.DataFrame:
    """Run backtest, fit and forecast as of one horizon before the last complete period of
    each grain, and score the *published* rows (reconciled forecast and intervals) against
    the periods that followed: MASE relative to seasonal naive, and coverage."""
    full = build_series(daily, config, as_of=as_of)
    rows = []
    for grain in GRAINS:
        horizon = config.per_grain("horizon", grain)
        actual = full.frame(grain)
        first_hidden = actual.index[-horizon]
        cut = (first_hidden - pd.Timedelta(days=1)).date()
        series = build_series(daily, config, as_of=cut)
        covariates = {g: market_covariates(market, g) for g in GRAINS}
        backtest = run_backtest(series, covariates, config)
        forecast = fit_forecaster(series, covariates, backtest, config).forecast(
            series, covariates, cut
        )
        published = forecast[forecast["grain"] == grain]
        season = config.per_grain("season_length", grain)
        for segment, part in published.groupby("segment", sort=False):
            if segment not in actual.columns:
                continue
            truth = actual[segment].reindex(pd.to_datetime(part["period_start"])).to_numpy()
            history = series.frame(grain)[segment].to_numpy()
            w = np.ones(len(history) + horizon)
            naive = seasonal_naive(history, w[: len(history)], w[len(history) :], season)
            rows.append(
                {
                    "grain": grain,
                    "level": segment.split(":")[0],
                    "error": np.abs(part["forecast"].to_numpy() - truth).mean(),
                    "naive_error": np.abs(naive - truth).mean(),
                    "in_80": np.mean((truth >= part["lower"]) & (truth <= part["upper"])),
                    "in_95": np.mean((truth >= part["lower_95"]) & (truth <= part["upper_95"])),
                }
            )
    table = pd.DataFrame(rows)
    out = table.groupby(["grain", "level"], sort=False).agg(
        series=("error", "size"),
        error=("error", "sum"),
        naive_error=("naive_error", "sum"),
        coverage_80=("in_80", "mean"),
        coverage_95=("in_95", "mean"),
    )
    out["relative_mae"] = out["error"] / out["naive_error"]
    return out.drop(columns=["error", "naive_error"]).reset_index()


def _append(record: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as handle:
        handle.write(json.dumps(record, default=str) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    s = modes.add_parser("speed")
    s.add_argument("--repeats", type=int, default=3)
    s.add_argument("--regions", type=int, default=8)
    s.add_argument("--products", type=int, default=12)
    s.add_argument("--reps", type=int, default=480)
    s.add_argument("--days", type=int, default=1095)
    q = modes.add_parser("quality")
    q.add_argument("--warehouse", required=True)
    q.add_argument("--as-of", required=True)
    q.add_argument("--holdout", action="store_true", help="also score one true holdout")
    q.add_argument("--config", help="ForecastConfig overrides as JSON, e.g. '{\"max_epochs\": 10}'")
    args = parser.parse_args()
    speed(args) if args.mode == "speed" else quality(args)


if __name__ == "__main__":
    main()
