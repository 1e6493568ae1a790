"""``salespipe generate``: write a synthetic CRM landing zone."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from ml.cli.common import iso_date, log
from ml.settings import Settings


def add_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """Add ``salespipe generate`` through the main parser's ``command(name, help)``."""
    generate = command("generate", "write a synthetic CRM landing zone")
    generate.add_argument("--out", type=Path, required=True, help="landing folder to write")
    generate.add_argument("--seed", type=int, default=42, help="random seed; same seed, same data")
    generate.add_argument("--leads", type=int, default=20_000, help="how many leads to create")
    generate.add_argument(
        "--start", type=iso_date, default=date(2024, 1, 1), help="first delivery day"
    )
    generate.add_argument("--days", type=int, default=730, help="how many daily deliveries")
    generate.add_argument(
        "--drift-from",
        type=iso_date,
        help="from this day on, leads come from a shifted source mix and bigger companies "
        "(default: no drift)",
    )
    generate.add_argument(
        "--drift-strength", type=float, default=1.0, help="how far the drift goes, in (0, 1]"
    )
    generate.set_defaults(handler=_generate)


def _generate(args: argparse.Namespace, settings: Settings) -> None:
    from ml.generate import generate_landing_zone

    started = time.monotonic()
    summary = generate_landing_zone(
        args.out,
        seed=args.seed,
        leads=args.leads,
        start=args.start,
        days=args.days,
        drift_from=args.drift_from,
        drift_strength=args.drift_strength,
        progress=log.info,
    )
    log.info(
        "Wrote %s (%s to %s, %d files) in %.1f s:",
        summary.out,
        summary.first_day,
        summary.last_day,
        summary.files,
        time.monotonic() - started,
    )
    for table, rows in summary.rows.items():
        log.info("  %-27s %12s rows", table, f"{rows:,}")
