"""Benchmark the scoring API: single-lead latency (p50/p99) and batch throughput
(batches of 1,000 leads) through a real ``salespipe serve`` (uvicorn, loopback HTTP),
against a baseline of the bare model's ``predict_proba`` on the same rows.

Usage (from the repository root, after `python3 dev.py setup`), on an install that has
run a night (the demo's `.salespipe`, or any `SALESPIPE_HOME`):

    .venv/bin/python bench/serving_latency.py --home .salespipe --date 2025-12-30

The requests are the install's open leads of that date as the CRM delivered them (with
their activities), cycled with suffixed ids to fill batches of 1,000. Each figure:

- ``api_single``: one lead per request, sequential, wall time per request (client side);
- ``bare_single``: ``ExplainableModel.predict_proba`` on that lead's ready-made model inputs;
- ``api_batch``: leads per second, 1,000 per request, sequential;
- ``bare_batch``: leads per second of ``predict_proba`` on the same 1,000 rows.

Results are printed as a Markdown table and appended as a JSON line to
bench/results/serving.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import httpx
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ml.serving.examples import request_for  # noqa: E402


def renamed(lead: dict, suffix: str) -> dict:
    """The same lead under another id (its activities too), so a batch can repeat it."""
    activities = [
        {**a, "lead_id": None, "activity_id": a["activity_id"] + suffix} for a in lead["activities"]
    ]
    return {**lead, "lead_id": lead["lead_id"] + suffix, "activities": activities}


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--date", type=date.fromisoformat, required=True)
    parser.add_argument("--single", type=int, default=300, help="single-lead requests")
    parser.add_argument("--batches", type=int, default=10, help="requests of --batch-size")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--port", type=int, default=18_090)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    home = args.home.resolve()
    work = home / "warehouse" / "work" / "salespipe_work.duckdb"
    with duckdb.connect(str(work), read_only=True) as con:
        ids = [r[0] for r in con.execute(
            "select lead_id from ml.lead_scores where score_date = ? order by lead_id",
            [args.date],
        ).fetchall()]  # fmt: skip
        body = request_for(con, args.date, ids)
    leads = body["leads"]
    batch = [renamed(leads[i % len(leads)], f"-{i}") for i in range(args.batch_size)]
    token = secrets.token_urlsafe(16)
    env = {**os.environ, "SALESPIPE_HOME": str(home), "SALESPIPE_API_TOKENS": token}
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("salespipe")), "serve", "--port", str(args.port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{args.port}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            started = time.monotonic()
            while True:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() - started > 300:
                    raise SystemExit("salespipe serve did not start within 300 s")
                time.sleep(0.5)
            for lead in leads[:20]:  # warm-up
                client.post("/v1/leads/score", json={"as_of": body["as_of"], "leads": [lead]})
            single = []
            for i in range(args.single):
                one = {"as_of": body["as_of"], "leads": [leads[i % len(leads)]]}
                t = time.perf_counter()
                answer = client.post("/v1/leads/score", json=one)
                single.append(time.perf_counter() - t)
                assert answer.status_code == 200, answer.text
            batch_times = []
            many = {"as_of": body["as_of"], "leads": batch}
            for _ in range(args.batches):
                t = time.perf_counter()
                answer = client.post("/v1/leads/score", json=many)
                batch_times.append(time.perf_counter() - t)
                assert answer.status_code == 200, answer.text[:500]
            version = answer.headers["x-model-version"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    bare_single, bare_batch = bare_model(home, args.date, version, args.single, args.batch_size)
    row = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "leads_open": len(leads),
        "model_version": version,
        "api_single_p50_ms": percentile(single, 50) * 1000,
        "api_single_p99_ms": percentile(single, 99) * 1000,
        "bare_single_p50_ms": percentile(bare_single, 50) * 1000,
        "bare_single_p99_ms": percentile(bare_single, 99) * 1000,
        "api_batch_leads_per_s": args.batch_size / statistics.median(batch_times),
        "bare_batch_leads_per_s": args.batch_size / statistics.median(bare_batch),
        "cpus": os.cpu_count(),
        # 1-minute load average before and after: the machine may be shared
        "load_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    results = REPO / "bench" / "results"
    results.mkdir(exist_ok=True)
    with (results / "serving.jsonl").open("a") as out:
        out.write(json.dumps(row) + "\n")
    print("| measure | API (salespipe serve) | bare predict_proba | ratio |")
    print("|---|---:|---:|---:|")
    for name, api, bare, unit in (
        ("single lead p50", row["api_single_p50_ms"], row["bare_single_p50_ms"], "ms"),
        ("single lead p99", row["api_single_p99_ms"], row["bare_single_p99_ms"], "ms"),
        ("batch of 1,000", row["api_batch_leads_per_s"], row["bare_batch_leads_per_s"], "leads/s"),
    ):
        print(f"| {name} | {api:,.1f} {unit} | {bare:,.1f} {unit} | {api / bare:,.2f}x |")
    print(f"load average (1 min) before/after: {row['load_1min'][0]} / {row['load_1min'][1]}")


def bare_model(home: Path, as_of: date, version: str, single: int, size: int):
    """predict_proba of the champion on the night's own feature rows (no SQL, no HTTP)."""
    from ml.lead_scoring.features import model_inputs
    from ml.lead_scoring.steps.score import load_lead_model
    from ml.registry.tracking import configure_mlflow
    from ml.settings import load_settings

    settings = load_settings({"SALESPIPE_HOME": str(home)})
    configure_mlflow(settings)
    model = load_lead_model(f"models:/lead_scoring/{version}")
    with duckdb.connect(str(settings.work_warehouse), read_only=True) as con:
        features = con.execute(
            "select * from marts.lead_features where as_of_date = ? order by lead_id", [as_of]
        ).df()
    inputs = model_inputs(features, model.spec)
    rows = inputs.iloc[np.arange(size) % len(inputs)].reset_index(drop=True)
    for i in range(20):
        model.predict_proba(inputs.iloc[[i % len(inputs)]])
    one = []
    for i in range(single):
        t = time.perf_counter()
        model.predict_proba(inputs.iloc[[i % len(inputs)]])
        one.append(time.perf_counter() - t)
    many = []
    for _ in range(10):
        t = time.perf_counter()
        model.predict_proba(rows)
        many.append(time.perf_counter() - t)
    return one, many


if __name__ == "__main__":
    main()
