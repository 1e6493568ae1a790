"""The data-quality gate: no model sees data that failed validation, no row vanishes unrecorded.

Where each check runs, and why:

- **While files load** (``ml.warehouse.ingest``): every delivered row is checked in
  DuckDB against its table's rules (``expectations/raw/*.yml``, compiled by
  :mod:`~ml.quality.rules` and :mod:`~ml.quality.batch_sql`). Rows that break one go
  to ``quarantine.<table>`` with the rules (:mod:`~ml.quality.quarantine`); a file
  that cannot be taken as a whole is rejected (:mod:`~ml.quality.reading`).
- **After ingest** (:func:`ml.quality.steps.check_deliveries`): Great Expectations
  validates each table's delivery profile (:mod:`~ml.quality.profiles`): rejected
  files and counts that do not reconcile stop the night.
- **After dbt** (:func:`ml.quality.steps.validate_marts`): GX validates the marts
  models read (``expectations/marts/*.yml``).
- **Before a model writes** (:func:`validate_frame`): GX validates its output against
  ``expectations/ml/*.yml``.

Every run's counts land in ``monitoring.pipeline_runs`` (:mod:`~ml.quality.monitoring`)
and every validation in Data Docs (``<SALESPIPE_HOME>/reports/data_docs/index.html``).
"""

from ml.quality.outcomes import QualityGateError, SuiteOutcome
from ml.quality.validation import validate_frame

__all__ = ["QualityGateError", "SuiteOutcome", "validate_frame"]
