"""``salespipe ingest``: load a landing zone (or, with a mapping, an export) into ``raw``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from ml.cli.common import iso_date, log
from ml.settings import Settings


def add_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """Add ``salespipe ingest`` through the main parser's ``command(name, help)``."""
    ingest = command("ingest", "load a landing zone into the raw layer")
    ingest.add_argument(
        "--landing", type=Path, required=True, help="landing zone (or, with --mapping, an export)"
    )
    ingest.add_argument(
        "--mapping",
        type=Path,
        help="YAML mapping for an export in another shape (default: the landing zone is "
        "already in the contract's shape)",
    )
    ingest.add_argument(
        "--up-to",
        type=iso_date,
        help="ignore deliveries dated after this (default: load every delivery)",
    )
    ingest.set_defaults(handler=_ingest)


def _ingest(args: argparse.Namespace, settings: Settings) -> None:
    from ml.warehouse.gate import check_deliveries
    from ml.warehouse.steps import ingest_landing

    landing = args.landing if args.mapping is None else _map_export(args, settings)
    summary = ingest_landing(landing, args.up_to, settings, progress=log.info)
    log.info(
        "Ingested into %s: %d files loaded, %d replaced, %d repeated deliveries skipped, "
        "%d rejected, %d already loaded.",
        settings.work_warehouse,
        len(summary.loaded),
        len(summary.replaced),
        len(summary.duplicates),
        len(summary.rejected),
        summary.unchanged,
    )
    log.info("  rows per table: delivered = loaded + quarantined + in rejected files + repeated")
    for table, counts in sorted(summary.tables.items()):
        log.info(
            "  raw.%-27s %12s = %s + %s + %s + %s",
            table,
            f"{counts.delivered:,}",
            f"{counts.loaded:,}",
            f"{counts.quarantined:,}",
            f"{counts.rejected:,}",
            f"{counts.repeated:,}",
        )
    for path, reason in summary.skipped:
        log.info("  skipped %s: %s", path, reason)
    if summary.business_date is not None:
        # Validates what this ingest did (and writes Data Docs); a rejected file fails it.
        report = check_deliveries(summary.business_date, settings)
        log.info("Quarantined rows are in the working warehouse's quarantine schema.")
        log.info("Data Docs: %s", report.data_docs)


def _map_export(args: argparse.Namespace, settings: Settings) -> Path:
    """Turn an export (``--landing``) into this install's landing zone with ``--mapping``.

    The mapped landing zone is the install's own (``SALESPIPE_LANDING``), so the nightly
    run ingests it like any other delivery.
    """
    from ml.mapping.steps import map_export

    log.info("Checking mapping %s against the export in %s ...", args.mapping, args.landing)
    mapped = map_export(args.mapping, args.landing, settings.landing)
    log.info(
        "Mapped the export into %s as one delivery dated %s:", mapped.out, mapped.delivery_date
    )
    for table, rows in mapped.rows.items():
        log.info("  %-27s %12s rows", table, f"{rows:,}")
    for note in mapped.notes:
        log.info("  note: %s", note)
    if mapped.missing_tables:
        log.info(
            "  %s: not in this export; their raw tables stay empty",
            ", ".join(mapped.missing_tables),
        )
    return mapped.out
