"""Benchmark the nightly warehouse stages: ingest, the quality gate, dbt build, publish, Airflow.

Usage (from the repository root, after `python3 dev.py setup`):

    .venv/bin/python bench/bench_nightly.py --leads 100000 --repeats 3
    .venv/bin/python bench/bench_nightly.py --leads 1000000 --repeats 3

Each stage runs in its own process, so its peak memory (max RSS) can be read back.
`ingest_row_checks` is not a process but the part of `ingest` spent evaluating the row
rules (expectations/raw/), as ingest itself measures it.
The machine is shared and noisy, so every repetition also times a baseline on the same
data at the same moment: DuckDB's own CSV reader loading every landing file into one
table per folder. Stage times are reported as medians and as ratios to that baseline.
Results are appended as JSON lines to bench/results/ and printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SALESPIPE = str(Path(PYTHON).with_name("salespipe"))
STAGES = (
    "baseline_duckdb_read",
    "ingest",
    "ingest_row_checks",
    "check_deliveries",
    "dbt_build",
    "validate_marts",
    "publish",
    "airflow_run",
)
# The stages `salespipe run` runs one after the other (validate_marts is inside dbt_build).
NIGHT = ("ingest", "check_deliveries", "dbt_build", "publish")

STAGE_CODE = {
    "baseline_duckdb_read": (
        "import duckdb, sys, pathlib\n"
        "landing = pathlib.Path(sys.argv[1])\n"
        "con = duckdb.connect(sys.argv[2])\n"
        # _truth (the generator's answer key) and _generator.json are not deliveries.
        "for folder in sorted(p for p in landing.iterdir() if p.is_dir()\n"
        "                     and not p.name.startswith('_')):\n"
        "    pattern = str(folder / '*' / '*.csv')\n"
        "    con.execute(f'create table {folder.name} as select * from read_csv('\n"
        "                f'{pattern!r}, all_varchar=true, union_by_name=true)')\n"
    ),
    "ingest": (
        "import sys, json, datetime; from ml.warehouse.steps import ingest_deliveries\n"
        "summary = ingest_deliveries(datetime.date.fromisoformat(sys.argv[3]))\n"
        "open(sys.argv[2] + '.json', 'w').write(json.dumps(summary.check_seconds))\n"
    ),
    "check_deliveries": (
        "import sys, datetime; from ml.warehouse.gate import check_deliveries\n"
        "check_deliveries(datetime.date.fromisoformat(sys.argv[3]))\n"
    ),
    "dbt_build": (
        "import sys, datetime; from ml.warehouse.steps import build_warehouse\n"
        "build_warehouse(datetime.date.fromisoformat(sys.argv[3]))\n"
    ),
    "validate_marts": (
        "import sys, datetime; from ml.warehouse.gate import validate_marts\n"
        "validate_marts(datetime.date.fromisoformat(sys.argv[3]))\n"
    ),
    # The copy and swap itself: publish_for_readers only publishes once the model stages
    # are done too, which this benchmark does not run.
    "publish": (
        "import sys, datetime; from ml.settings import load_settings\n"
        "from ml.warehouse.publish import publish_warehouse\n"
        "s = load_settings()\n"
        "day = datetime.date.fromisoformat(sys.argv[3])\n"
        "publish_warehouse(s.work_warehouse, s.warehouse, day)\n"
    ),
}


def timed_process(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB, the process and the children it waited for)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command[:3]} failed:\n{process.stderr.read().decode()[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024


def run_repetition(landing: Path, business_date: date, workdir: Path, airflow: bool) -> dict:
    home = workdir / "home"
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "SALESPIPE_HOME": str(home), "SALESPIPE_LANDING": str(landing)}
    results = {}
    for stage in (
        "baseline_duckdb_read",
        "ingest",
        "check_deliveries",
        "dbt_build",
        "validate_marts",
        "publish",
    ):
        scratch = workdir / "baseline.duckdb"
        scratch.unlink(missing_ok=True)
        command = [
            PYTHON,
            "-c",
            STAGE_CODE[stage],
            str(landing),
            str(scratch),
            business_date.isoformat(),
        ]
        results[stage] = timed_process(command, env)
        scratch.unlink(missing_ok=True)
        if stage == "ingest":  # the row checks' share, measured inside ingest (no RSS of its own)
            checks = Path(f"{scratch}.json")
            results["ingest_row_checks"] = (json.loads(checks.read_text()), None)
            checks.unlink()
    if airflow:
        # The whole night again through Airflow on a fresh home: the difference from the
        # sum of the stages is what orchestration costs (one dbt task, no per-model tasks).
        shutil.rmtree(home, ignore_errors=True)
        results["airflow_run"] = timed_process(
            [SALESPIPE, "run", "--date", business_date.isoformat()], env
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-airflow", action="store_true", help="skip the full Airflow run")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="salespipe-bench-"))
    try:
        landing = workdir / "landing"
        start = date(2024, 1, 1)
        gen_seconds, gen_rss = timed_process(
            [
                SALESPIPE,
                "generate",
                "--out",
                str(landing),
                "--leads",
                str(args.leads),
                "--days",
                str(args.days),
                "--start",
                start.isoformat(),
            ],
            dict(os.environ),
        )
        business_date = start + timedelta(days=args.days - 1)
        landing_mib = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()) / 2**20
        runs = []
        for repetition in range(args.repeats):
            runs.append(run_repetition(landing, business_date, workdir, not args.no_airflow))
            print(
                f"repetition {repetition + 1}/{args.repeats}: "
                + ", ".join(f"{k} {v[0]:.1f}s" for k, v in runs[-1].items()),
                flush=True,
            )
        report(args, runs, gen_seconds, gen_rss, landing_mib)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def report(args, runs: list[dict], gen_seconds: float, gen_rss: float, landing_mib: float) -> None:
    baseline = [run["baseline_duckdb_read"][0] for run in runs]
    rows = []
    for stage in STAGES:
        if stage not in runs[0]:
            continue
        seconds = [run[stage][0] for run in runs]
        ratios = [run[stage][0] / run["baseline_duckdb_read"][0] for run in runs]
        rows.append(
            {
                "stage": stage,
                "median_s": statistics.median(seconds),
                "min_s": min(seconds),
                "max_s": max(seconds),
                "median_ratio_to_baseline": statistics.median(ratios),
                "peak_rss_mib": (
                    None if runs[0][stage][1] is None else max(run[stage][1] for run in runs)
                ),
            }
        )
    stage_sum = [sum(run[s][0] for s in NIGHT) for run in runs]
    record = {
        "leads": args.leads,
        "days": args.days,
        "repeats": args.repeats,
        "generate_s": gen_seconds,
        "generate_peak_rss_mib": gen_rss,
        "landing_mib": landing_mib,
        "baseline_median_s": statistics.median(baseline),
        "stages": rows,
        "airflow_overhead_median_s": (
            statistics.median(
                run["airflow_run"][0] - total for run, total in zip(runs, stage_sum, strict=True)
            )
            if "airflow_run" in runs[0]
            else None
        ),
    }
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    with (results / "nightly.jsonl").open("a") as handle:
        handle.write(json.dumps(record) + "\n")
    print(
        f"\n{args.leads:,} leads over {args.days} days: landing {landing_mib:,.0f} MiB, "
        f"generated in {gen_seconds:.1f} s (peak {gen_rss:,.0f} MiB); median of {args.repeats}\n"
    )
    print("| stage | median s | min-max s | x baseline | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['stage']} | {row['median_s']:.1f} | {row['min_s']:.1f}-{row['max_s']:.1f} "
            f"| {row['median_ratio_to_baseline']:.2f} | "
            + ("-" if row["peak_rss_mib"] is None else f"{row['peak_rss_mib']:,.0f}")
            + " |"
        )
    if record["airflow_overhead_median_s"] is not None:
        print(
            f"\nAirflow overhead (airflow_run minus {'+'.join(NIGHT)}), median: "
            f"{record['airflow_overhead_median_s']:.1f} s"
        )


if __name__ == "__main__":
    main()
