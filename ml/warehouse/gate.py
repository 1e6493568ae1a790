"""The data-quality gate's steps, as the nightly DAG calls them: each one does its own I/O.

- :func:`check_deliveries`, after ingest: GX validates every raw table's delivery
  profile for the business date (:mod:`ml.quality.profiles`); a table-level failure
  (a rejected file, counts that do not reconcile) stops the night before dbt.
- :func:`validate_marts`, after dbt: GX validates the marts models read.
- :func:`record_run_outcome`, at the very end whatever happened: a run that nobody
  marked successful is recorded ``failed`` in ``monitoring.pipeline_runs``.

Each writes Data Docs to ``<SALESPIPE_HOME>/reports/data_docs/index.html``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from ml.quality.outcomes import QualityGateError, SuiteOutcome
from ml.quality.profiles import INDEX_COLUMN, delivery_profile, profile_expectations
from ml.quality.specs import FrameSuite, frame_suite_names, load_frame_suite, load_raw_suites
from ml.quality.validation import Validator, frame_expectations
from ml.settings import Settings, load_settings
from ml.warehouse import runs as monitoring

log = logging.getLogger(__name__)

__all__ = [
    "GateReport",
    "QualityGateError",
    "check_deliveries",
    "record_run_outcome",
    "validate_marts",
]


@dataclass(frozen=True)
class GateReport:
    """The suites validated for one business date, and where their Data Docs are."""

    business_date: date
    outcomes: list[SuiteOutcome]
    data_docs: Path | None

    @property
    def passed(self) -> bool:
        """True if no suite has a blocking outcome."""
        return all(outcome.success for outcome in self.outcomes)

    def summary(self) -> str:
        """A paragraph per finding: blocking ones first, then rows quarantined and warnings."""
        blocking = [e for o in self.outcomes for e in o.blocking]
        reported = [e for o in self.outcomes for e in o.reported]
        verdict = "failed" if blocking else "passed"
        lines = [
            f"Data-quality gate {verdict} for business date {self.business_date} "
            f"(Data Docs: {self.data_docs or 'not written'})."
        ]
        lines += [f"- stops the run: {e.describe()}" for e in blocking]
        lines += [f"- {e.describe()}" for e in reported]
        return "\n".join(lines)


def check_deliveries(business_date: date, settings: Settings | None = None) -> GateReport:
    """Validate what ingest did for ``business_date``, table by table, and write Data Docs.

    Raises:
        QualityGateError: a table-level expectation failed or errored; the message names
            the table, the expectation, the failing count and the files.
    """
    settings = settings or load_settings()
    validator = Validator(settings.reports, business_date)
    outcomes = []
    with duckdb.connect(str(settings.work_warehouse)) as con:
        for suite in load_raw_suites().values():
            profile = delivery_profile(con, suite, business_date)
            outcomes.append(
                validator.validate(
                    profile, suite.name, profile_expectations(suite), [INDEX_COLUMN], unit="files"
                )
            )
    return _conclude(settings, validator, GateReport(business_date, outcomes, None))


def validate_marts(business_date: date, settings: Settings | None = None) -> GateReport:
    """Validate the marts models read (expectations/marts/*.yml) and write Data Docs.

    Raises:
        QualityGateError: an expectation failed or errored.
    """
    settings = settings or load_settings()
    validator = Validator(settings.reports, business_date)
    outcomes = []
    with duckdb.connect(str(settings.work_warehouse)) as con:
        for name in frame_suite_names("marts"):
            spec = load_frame_suite(name)
            frame = read_suite_rows(con, spec, business_date)
            outcomes.append(validator.validate(frame, spec.name, frame_expectations(spec)))
    return _conclude(settings, validator, GateReport(business_date, outcomes, None))


def record_run_outcome(business_date: date, settings: Settings | None = None) -> str | None:
    """At the end of the warehouse DAG: a run still ``running`` whose warehouse stage did
    not finish has failed (a run whose warehouse is built goes on to the model stages).

    Returns the status recorded for the run, or None if it has no row.
    """
    settings = settings or load_settings()
    with duckdb.connect(str(settings.work_warehouse)) as con:
        if monitoring.WAREHOUSE_STAGE in monitoring.stages_done(con, business_date):
            # The warehouse is built; the model stages finish (and publish) the night.
            return monitoring.RUNNING
        status = monitoring.finish_run(
            con,
            business_date,
            monitoring.FAILED,
            datetime.now(UTC),
            only_if_running=True,
            message="a task failed before the warehouse was built; see the Airflow log",
        )
    log.info("run %s: %s", business_date, status)
    return status


def read_suite_rows(
    con: duckdb.DuckDBPyConnection, spec: FrameSuite, business_date: date
) -> pd.DataFrame:
    """The rows of ``spec.table`` the suite checks (its ``where``), only the columns it names."""
    columns: list[str] = []
    for _, kwargs in spec.expectations:
        for key in ("column", "column_A", "column_B"):
            if key in kwargs:
                columns.append(kwargs[key])
        columns += kwargs.get("column_list", [])
    selected = ", ".join(f'"{c}"' for c in dict.fromkeys(columns)) or "*"
    where = ""
    if spec.where:
        where = "where " + spec.where.format(business_date=f"date '{business_date.isoformat()}'")
    return con.sql(f"select {selected} from {spec.table} {where}").df()


def _conclude(settings: Settings, validator: Validator, report: GateReport) -> GateReport:
    data_docs = validator.build_data_docs()
    report = GateReport(report.business_date, report.outcomes, data_docs)
    summary = report.summary()
    (log.info if report.passed else log.error)("%s", summary)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        monitoring.note_gate(
            con,
            report.business_date,
            str(data_docs) if data_docs else None,
            None if report.passed else summary,
        )
    if not report.passed:
        raise QualityGateError(summary)
    return report
