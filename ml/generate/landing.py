"""Generate a whole synthetic CRM landing zone: the one entry point of this package.

Leads are generated in cohorts of a fixed size, each from its own random streams
(derived from the seed and the cohort number), and streamed out to the per-day
files; only the cohort in hand, the accounts, the reps and per-day series stay in
memory. The same (seed, leads, start, days) always writes byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ml.generate import mess
from ml.generate.activities import activity_rows
from ml.generate.config import GENERATOR_VERSION, GeneratorConfig, validate
from ml.generate.entities import make_accounts, make_reps
from ml.generate.lead_rows import lead_rows
from ml.generate.leads import draw_cohort
from ml.generate.opportunities import draw_opportunities
from ml.generate.opportunity_rows import opportunity_rows
from ml.generate.timeline import build_timeline, market_rows
from ml.generate.writer import DeliveryWriter, prepare_output, write_marker

PROGRESS_EVERY_SECONDS = 3.0
# First element of every random stream's key: one stream per purpose, one per cohort.
_TIMELINE, _ACCOUNTS, _REPS, _REDELIVERY, _COHORT = range(5)
_OUTCOMES, _OPPORTUNITIES, _ACTIVITIES, _ROWS = range(4)


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


def _stream(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def generate_landing_zone(
    out: Path,
    *,
    seed: int = 42,
    leads: int = 20_000,
    start: dt.date = dt.date(2024, 1, 1),
    days: int = 730,
    progress: Callable[[str], None] | None = None,
) -> GenerationSummary:
    """Write a synthetic CRM landing zone with daily CDC deliveries of all seven tables.

    Args:
        out: folder to write; created if missing. A landing zone this generator wrote
            before is replaced entirely.
        seed: seed of every random draw; same arguments give byte-identical files.
        leads: number of leads to create over the window.
        start: first delivery date.
        days: number of delivery days (one folder per table per day).
        progress: called with short status lines, at most every few seconds.

    Returns:
        A :class:`GenerationSummary` of rows, files and injected mess.

    Raises:
        ValueError: on a bad argument, or if ``out`` is a non-empty folder the
            generator did not write.
    """
    config = validate(GeneratorConfig(seed=seed, leads=leads, start=start, days=days))
    seed, leads, days = config.seed, config.leads, config.days
    out = Path(out)
    say = progress or (lambda _line: None)
    prepare_output(out)
    params = {"seed": seed, "leads": leads, "start": start.isoformat(), "days": days}
    write_marker(out, {"version": GENERATOR_VERSION, "complete": False, "parameters": params})

    tl = build_timeline(_stream(seed, _TIMELINE), config.start_epoch_day, days, leads)
    writer = DeliveryWriter(out, start, days)
    writer.write("market_indicators", market_rows(tl))
    accounts, account_rows = make_accounts(_stream(seed, _ACCOUNTS), tl, leads)
    writer.write("accounts", account_rows)
    reps, rep_rows = make_reps(_stream(seed, _REPS), tl, leads)
    writer.write("sales_reps", rep_rows)
    say(f"accounts {writer.rows['accounts']:,} rows, sales reps {writer.rows['sales_reps']:,} rows")

    counts = dict.fromkeys(mess.MESS_KINDS, 0)
    last_said = time.monotonic()
    for k in range(config.cohorts):
        first = k * config.cohort_leads
        n = min(config.cohort_leads, leads - first)
        cohort = draw_cohort(_stream(seed, _COHORT, k, _OUTCOMES), tl, accounts, reps, first, n)
        opps = draw_opportunities(
            _stream(seed, _COHORT, k, _OPPORTUNITIES), cohort, accounts, reps, tl
        )
        rows_rng = _stream(seed, _COHORT, k, _ROWS)
        lead_out, lead_mess = lead_rows(
            cohort, accounts, tl, rows_rng, config.late_rate, config.invalid_lead_rate, k == 0
        )
        opp_out, history_out, opp_mess = opportunity_rows(
            opps, cohort, tl, rows_rng, config.late_rate, config.invalid_opportunity_rate, k == 0
        )
        writer.write("leads", lead_out)
        writer.write("opportunities", opp_out)
        writer.write("opportunity_stage_history", history_out)
        writer.write(
            "activities", activity_rows(_stream(seed, _COHORT, k, _ACTIVITIES), cohort, opps, tl)
        )
        for found in (lead_mess, opp_mess):
            for kind, value in found.items():
                counts[kind] += value
        now = time.monotonic()
        if now - last_said >= PROGRESS_EVERY_SECONDS or k == config.cohorts - 1:
            say(f"leads {first + n:,}/{leads:,} ({writer.rows['activities']:,} activities)")
            last_said = now

    files = writer.finish()
    if days >= 2:  # one day's leads file is delivered a second time, a few days later
        rng = _stream(seed, _REDELIVERY)
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
