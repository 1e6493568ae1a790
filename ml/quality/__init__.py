"""Data quality: the rules and the Great Expectations runner, nothing that writes a table.

- **Rules**: every delivered row's checks (``expectations/raw/*.yml``, read by
  :mod:`~ml.quality.specs`, compiled to DuckDB SQL by :mod:`~ml.quality.rules` and
  :mod:`~ml.quality.batch_sql`); a delivery's profile (:mod:`~ml.quality.profiles`).
- **The GX runner** (:mod:`~ml.quality.validation`): validates DataFrames against suites
  and writes Data Docs; results read strictly (:mod:`~ml.quality.outcomes`).

Who uses them: ingest (``ml.warehouse.ingest``) checks rows while files load and writes
raw and quarantine (:mod:`ml.warehouse.quarantine`, :mod:`ml.warehouse.reading`); the
gate steps (:mod:`ml.warehouse.gate`) validate delivery profiles after ingest and the
marts after dbt, and note the verdict in ``monitoring.pipeline_runs``
(:mod:`ml.warehouse.runs`); the catalog's writer (:mod:`ml.catalog`) validates every
model output against ``expectations/ml/*.yml`` before it writes it.
"""

from ml.quality.outcomes import QualityGateError, SuiteOutcome
from ml.quality.validation import validate_frame

__all__ = ["QualityGateError", "SuiteOutcome", "validate_frame"]
