"""Generate a whole synthetic CRM landing zone: the one entry point of this package.

Leads are generated in cohorts of a fixed size, each from its own random streams
(derived from the seed and the cohort number), and streamed out to the per-day
files; only the cohort in hand, the accounts, the reps and per-day series stay in
memory. The same (seed, leads, start, days) always writes byte-identical files.
With ``drift_from``, leads from that day on drift (see ``ml.generate.drift``) and the
files of earlier days stay byte-identical to a run without drift.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ml.generate import mess
from ml.generate.cohort import ACCOUNTS, REDELIVERY, REPS, TIMELINE, draw_part, stream
from ml.generate.config import GENERATOR_VERSION, GeneratorConfig, validate
from ml.generate.drift import Drift, leads_before
from ml.generate.entities import make_accounts, make_reps
from ml.generate.timeline import build_timeline, market_rows
from ml.generate.truth import append_truth
from ml.generate.writer import DeliveryWriter, prepare_output, write_marker

PROGRESS_EVERY_SECONDS = 3.0


@dataclass(frozen=True)
class GenerationSummary:
    """What :func:`generate_landing_zone` wrote."""

    out: Path
    rows: dict[str, int]  # rows written per table (all seven tables)
    files: int  # CSV files written, redeliveries included
    first_day: dt.date
    last_day: dt.date  # the last delivery date: start + days - 1
    mess: dict[str, int] = field(default_factory=dict)  # injected defects by kind
    seed: int = 42
    leads: int = 0


def generate_landing_zone(
    out: Path,
    *,
    seed: int = 42,
    leads: int = 20_000,
    start: dt.date = dt.date(2024, 1, 1),
    days: int = 730,
    drift_from: dt.date | None = None,
    drift_strength: float = 1.0,
    progress: Callable[[str], None] | None = None,
) -> GenerationSummary:
    """Write a synthetic CRM landing zone with daily CDC deliveries of all seven tables.

    Besides the tables, it writes its own truth to ``<out>/_truth/leads.csv``: per lead
    ``lead_id``, ``true_conversion_probability`` (the sigmoid of the full log-odds the
    conversion is drawn from, latent interest included: the ceiling of what lead
    scoring can reach) and ``converted`` (whether the lead converts at all, possibly
    after the last day). Ingest ignores folders whose names start with ``_``.

    Args:
        out: folder to write; created if missing. A landing zone this generator wrote
            before is replaced entirely.
        seed: seed of every random draw; same arguments give byte-identical files.
        leads: number of leads to create over the window.
        start: first delivery date.
        days: number of delivery days (one folder per table per day).
        drift_from: when given, leads created on or after this day come from a shifted
            source mix and bigger companies (``ml.generate.drift``); the files of earlier
            days are byte-identical to a run without drift.
        drift_strength: how far they shift, in (0, 1]: 1 is the fully shifted mix.
        progress: called with short status lines, at most every few seconds.

    Returns:
        A :class:`GenerationSummary` of rows, files and injected mess.

    Raises:
        ValueError: on a bad argument, or if ``out`` is a non-empty folder the
            generator did not write.
    """
    config = validate(
        GeneratorConfig(
            seed=seed,
            leads=leads,
            start=start,
            days=days,
            drift_from=drift_from,
            drift_strength=drift_strength,
        )
    )
    seed, leads, days = config.seed, config.leads, config.days
    out = Path(out)
    say = progress or (lambda _line: None)
    prepare_output(out)
    params: dict[str, object] = {
        "seed": seed,
        "leads": leads,
        "start": start.isoformat(),
        "days": days,
    }
    if config.drift_from is not None:  # a run without drift keeps its marker unchanged
        params["drift_from"] = config.drift_from.isoformat()
        params["drift_strength"] = config.drift_strength
    write_marker(out, {"version": GENERATOR_VERSION, "complete": False, "parameters": params})

    tl = build_timeline(stream(seed, TIMELINE), config.start_epoch_day, days, leads)
    writer = DeliveryWriter(out, start, days)
    writer.write("market_indicators", market_rows(tl))
    accounts, account_rows = make_accounts(stream(seed, ACCOUNTS), tl, leads)
    writer.write("accounts", account_rows)
    reps, rep_rows = make_reps(stream(seed, REPS), tl, leads)
    writer.write("sales_reps", rep_rows)
    say(f"accounts {writer.rows['accounts']:,} rows, sales reps {writer.rows['sales_reps']:,} rows")

    counts = dict.fromkeys(mess.MESS_KINDS, 0)
    last_said = time.monotonic()
    world = (tl, accounts, reps)
    drift = None if config.drift_from is None else Drift(config.drift_strength)
    # Leads created before drift_from (all of them without drift) are drawn as a run
    # without drift draws them; the cohort that spans drift_from is drawn both ways.
    before = leads if config.drift_from is None else leads_before(tl, _epoch_day(config.drift_from))
    for k in range(config.cohorts):
        first = k * config.cohort_leads
        n = min(config.cohort_leads, leads - first)
        m = min(max(before - first, 0), n)
        parts = []
        if m > 0:
            usual = draw_part(config, k, first, n, world, None)
            parts.append(usual if m == n else usual.first_leads(m, tl))
        if m < n:
            parts.append(draw_part(config, k, first + m, n - m, world, drift))
        for part in parts:
            for table, rows in part.rows.items():
                writer.write(table, rows)
            append_truth(out, part.truth)
            for kind, value in part.mess.items():
                counts[kind] += value
        now = time.monotonic()
        if now - last_said >= PROGRESS_EVERY_SECONDS or k == config.cohorts - 1:
            say(f"leads {first + n:,}/{leads:,} ({writer.rows['activities']:,} activities)")
            last_said = now

    files = writer.finish()
    if days >= 2:  # one day's leads file is delivered a second time, a few days later
        rng = stream(seed, REDELIVERY)
        original = int(rng.integers(0, days - 1))
        again = original + int(rng.integers(1, min(7, days - 1 - original) + 1))
        mess.redeliver(out, "leads", start + dt.timedelta(original), start + dt.timedelta(again))
        counts[mess.REDELIVERED_FILES] = 1
        files += 1

    summary = GenerationSummary(
        out=out,
        rows=dict(writer.rows),
        files=files,
        first_day=start,
        last_day=config.last_day,
        mess=counts,
        seed=seed,
        leads=leads,
    )
    write_marker(
        out,
        {
            "version": GENERATOR_VERSION,
            "complete": True,
            "parameters": params,
            "rows": summary.rows,
            "files": files,
            "mess": counts,
        },
    )
    say(f"wrote {files:,} files to {out}")
    return summary


def _epoch_day(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days
