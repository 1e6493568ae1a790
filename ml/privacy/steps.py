"""``salespipe privacy erase``: remove a person from everything salespipe writes.

One erasure, in order:

1. find the person: the lead ids given, and the leads whose email has the keyed hash of
   an email given (matched in ``raw`` and ``quarantine``, where the clear text is, by its
   hash; nothing past staging holds an email to read);
2. plan (:mod:`ml.privacy.plan`) and count the rows per table, and find the MLflow
   artifact tables holding their rows (:mod:`ml.privacy.artifacts`); a dry run stops here;
3. in one transaction: delete their rows everywhere; in ``raw`` a row becomes a
   quarantined row with the rule ``erased`` and no values, and in ``quarantine`` the
   values are blanked, so the delivered-rows reconciliation still adds up; opportunities
   lose their ``lead_id``; the person's keyed hashes go on the suppression list; one row
   per table goes to ``monitoring.erasures`` (who, when, rows, hashes of the identifiers);
4. rewrite the artifact tables, redact the lead ids in report pages (Data Docs list
   unexpected values with row ids: :mod:`ml.privacy.reports`), then rewrite the working
   warehouse file
   (:mod:`ml.privacy.compact`) so the deleted bytes are gone, and republish the BI copy.
"""

from __future__ import annotations

import getpass
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pandas as pd

from ml.catalog import transaction, write_partition
from ml.privacy import artifacts, plan, reports
from ml.privacy.compact import rewrite_database
from ml.privacy.identifiers import keyed_hash, normalise_email
from ml.privacy.suppression import suppress
from ml.privacy.tables import (
    base_table_columns,
    email_hashes_of,
    erase_from_table,
    leads_with_emails,
)
from ml.settings import Settings

log = logging.getLogger(__name__)

ERASURES = "monitoring.erasures"
_ERASURE_COLUMNS = [  # monitoring.erasures, declared in ml.catalog
    "erasure_id", "erased_at", "erased_by", "identifier_hashes", "leads_found", "location",
    "action", "rows",
]  # fmt: skip


class CompactionPending(RuntimeError):
    """The rows are erased, but the file could not be rewritten (another process had it)."""


@dataclass
class ErasureReport:
    """What an erasure found (and, unless a dry run, removed)."""

    erasure_id: str
    dry_run: bool
    lead_ids: list[str]
    identifier_hashes: list[str]
    rows: dict[str, int] = field(default_factory=dict)  # "schema.table" -> rows
    actions: dict[str, str] = field(default_factory=dict)  # "schema.table" -> what happens
    artifacts: dict[str, int] = field(default_factory=dict)  # artifact path -> rows
    reports: dict[str, int] = field(default_factory=dict)  # report page -> ids redacted
    bytes_before: int = 0
    bytes_after: int = 0
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values()) + sum(self.artifacts.values())


def erase_people(
    settings: Settings,
    *,
    lead_ids: Sequence[str] = (),
    emails: Sequence[str] = (),
    dry_run: bool = False,
    actor: str | None = None,
    progress: Callable[[str], None] = log.info,
) -> ErasureReport:
    """Erase the people with these lead ids or emails; see the module docstring.

    Raises:
        ValueError: no identifier, or an email that is not one.
        FileNotFoundError: there is no working warehouse yet.
        duckdb.IOException: another process (a nightly run) holds the working warehouse;
            nothing was erased.
        CompactionPending: erased, but a run took the file before it was rewritten.
    """
    started = time.monotonic()
    ids = sorted({i.strip() for i in lead_ids if i.strip()})
    addresses = sorted({normalise_email(e) for e in emails})
    if not ids and not addresses:
        raise ValueError("Say whom to erase: --lead-id ID... or --email ADDRESS...")
    work = settings.work_warehouse
    if not work.exists():
        raise FileNotFoundError(f"No working warehouse at {work}: there is nothing to erase.")
    key = settings.pii_key()
    email_hashes = [keyed_hash(key, e) for e in addresses]
    report = ErasureReport(
        erasure_id=str(uuid.uuid4()),
        dry_run=dry_run,
        lead_ids=[],
        identifier_hashes=sorted({keyed_hash(key, v) for v in [*ids, *addresses]}),
    )
    with duckdb.connect(str(work)) as con:
        found = leads_with_emails(con, key, email_hashes)
        report.lead_ids = sorted(set(ids) | found)
        email_hashes = sorted(set(email_hashes) | email_hashes_of(con, key, report.lead_ids))
        progress(
            f"erase: {len(report.lead_ids)} lead(s) ({len(found)} found by email hash); "
            "counting their rows ..."
        )
        actions = plan.plan_tables(base_table_columns(con))
        clear = [*report.lead_ids, *addresses]
        for action in actions:
            where, params = _where(action, report.lead_ids, email_hashes, clear, key)
            sql = f"select count(*) from {action.name} where {where}"
            ((rows,),) = con.execute(sql, params).fetchall()
            if rows:
                report.rows[action.name] = rows
                report.actions[action.name] = _describe(action)
        hits = artifacts.find_rows(settings.mlflow_artifacts, report.lead_ids)
        report.artifacts = {str(h.path.relative_to(settings.home)): h.rows for h in hits}
        pages = reports.find_ids(settings.reports, report.lead_ids)
        report.reports = {str(p.relative_to(settings.home)): n for p, n in pages.items()}
        if dry_run:
            report.seconds = time.monotonic() - started
            return report
        erased_at = datetime.now(UTC).replace(tzinfo=None)
        with transaction(con):
            for action in actions:
                if action.name in report.rows:
                    where, params = _where(action, report.lead_ids, email_hashes, clear, key)
                    erase_from_table(con, action, where, params)
            subjects = [("lead_id", keyed_hash(key, i)) for i in report.lead_ids]
            subjects += [("email", h) for h in email_hashes]
            suppress(con, subjects, report.erasure_id, erased_at)
            _log_erasure(con, report, erased_at, actor or _os_user())
    progress(f"erase: removed {sum(report.rows.values()):,} rows from {len(report.rows)} tables")
    artifacts.erase_rows(hits, report.lead_ids)
    if hits:
        progress(f"erase: rewrote {len(hits)} MLflow artifact table(s)")
    reports.redact_ids(list(pages), report.lead_ids)
    if pages:
        progress(f"erase: redacted the lead id(s) in {len(pages)} report page(s)")
    progress(f"erase: rewriting {work.name} so the deleted bytes are gone ...")
    try:
        report.bytes_before, report.bytes_after = rewrite_database(work)
        _republish(settings, progress)
    except duckdb.IOException as exc:  # a night took the file between the two steps
        raise CompactionPending(
            f"The person's rows are erased and logged (erasure {report.erasure_id}), but "
            f"{work.name} could not be rewritten, so their deleted bytes are still in it, "
            f"and the BI copy was not republished: {exc}. Run the same command again when "
            "the nightly run is over; it finds nothing more and finishes the rewrite."
        ) from exc
    report.seconds = time.monotonic() - started
    return report


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _where(action: plan.TableAction, lead_ids, email_hashes, clear, key: str) -> tuple[str, list]:
    where, params = action.predicate(lead_ids, email_hashes, clear)
    return where, [key if p is plan.HASH_KEY else p for p in params]


def _describe(action: plan.TableAction) -> str:
    if action.action == plan.UNLINK:
        return "lead_id set to null"
    if action.schema == "raw":
        return "moved to quarantine as 'erased', no values kept"
    if action.schema == "quarantine":
        return "values blanked, rule 'erased' added"
    return "deleted"


def _log_erasure(con, report: ErasureReport, erased_at: datetime, actor: str) -> None:
    locations = {
        **report.rows,
        **{f"mlflow:{p}": n for p, n in report.artifacts.items()},
        **{f"report:{p}": n for p, n in report.reports.items()},
    }
    if not locations:  # nothing found: the erasure (and its suppression) is still logged
        locations = {"(nothing found)": 0}
    rows = pd.DataFrame(
        [
            [report.erasure_id, erased_at, actor, report.identifier_hashes,
             len(report.lead_ids), location,
             report.actions.get(location, _artifact_action(location)), rows]
            for location, rows in sorted(locations.items())
        ],
        columns=_ERASURE_COLUMNS,
    )  # fmt: skip
    write_partition(con, ERASURES, rows, {"erasure_id": report.erasure_id})


def _artifact_action(location: str) -> str:
    if location.startswith("mlflow:"):
        return "rows removed from the artifact table"
    if location.startswith("report:"):
        return "lead id redacted in the page"
    return "no rows found; identifiers put on the suppression list"


def _republish(settings: Settings, progress: Callable[[str], None]) -> None:
    """Swap in a BI copy without the person (a fresh file: no deleted bytes in it)."""
    from ml.nightly import published_business_date
    from ml.warehouse.steps import republish_for_readers

    business_date = published_business_date(settings)
    if business_date is not None:
        republish_for_readers(business_date, settings)
        progress(f"erase: republished {settings.warehouse}")


__all__ = ["CompactionPending", "ErasureReport", "erase_people"]
