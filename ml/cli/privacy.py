"""``salespipe privacy erase``: erase a person from everything salespipe writes (CONTRACT §4).

See :mod:`ml.privacy.steps` for what an erasure does, and docs/privacy.md.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ml.cli.common import HelpFormatter, UsageError, log
from ml.settings import Settings


def add_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """Add ``salespipe privacy ...`` through the main parser's ``command(name, help)``."""
    privacy = command("privacy", "personal data: erase a person")
    actions = privacy.add_subparsers(dest="action", required=True)
    about = (
        "erase people by lead id or email from every table, artifact and file salespipe "
        "writes, and keep them out of later deliveries"
    )
    erase = actions.add_parser(
        "erase", help=about, description=about, formatter_class=HelpFormatter
    )
    erase.add_argument(
        "--lead-id",
        nargs="+",
        default=[],
        dest="lead_ids",
        metavar="ID",
        help="the CRM lead ids of the people to erase (default: none; give this or --email)",
    )
    erase.add_argument(
        "--email",
        nargs="+",
        default=[],
        dest="emails",
        metavar="ADDRESS",
        help="email addresses of the people to erase, found through the keyed hash "
        "(default: none; give this or --lead-id)",
    )
    erase.add_argument(
        "--dry-run", action="store_true", help="list what would be removed; change nothing"
    )
    erase.set_defaults(handler=_erase)


def _erase(args: argparse.Namespace, settings: Settings) -> None:
    import duckdb

    from ml.cli.models import WarehouseBusyError
    from ml.privacy.steps import CompactionPending, erase_people

    if not args.lead_ids and not args.emails:
        raise UsageError("say whom to erase: --lead-id ID... and/or --email ADDRESS...")
    try:
        report = erase_people(
            settings,
            lead_ids=args.lead_ids,
            emails=args.emails,
            dry_run=args.dry_run,
            progress=log.info,
        )
    except CompactionPending as exc:
        raise WarehouseBusyError(str(exc)) from exc
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        raise WarehouseBusyError(
            f"The working warehouse is busy (a nightly run holds it): {exc}. "
            "Nothing was erased; try again when the run is over."
        ) from exc
    verb = "would be removed" if report.dry_run else "removed"
    log.info(
        "%s %d lead(s); %s rows %s:",
        "Dry run for" if report.dry_run else "Erased",
        len(report.lead_ids),
        f"{report.total_rows:,}",
        verb,
    )
    for table, rows in sorted(report.rows.items()):
        log.info("  %-45s %8s  (%s)", table, f"{rows:,}", report.actions[table])
    for path, rows in sorted(report.artifacts.items()):
        log.info("  %-45s %8s  (MLflow artifact table)", path, f"{rows:,}")
    for path, count in sorted(report.reports.items()):
        log.info("  %-45s %8s  (report page: lead id redacted)", path, f"{count:,}")
    if report.dry_run:
        log.info("Nothing was changed (--dry-run).")
        return
    log.info(
        "Suppressed from later deliveries; logged in monitoring.erasures as %s. "
        "Working warehouse rewritten: %s -> %s bytes. %.1f s.",
        report.erasure_id,
        f"{report.bytes_before:,}",
        f"{report.bytes_after:,}",
        report.seconds,
    )
