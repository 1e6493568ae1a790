"""Data drift: do tonight's features come from the distribution the champion was trained on?

Each feature is compared by one Evidently ``ValueDrift`` metric (the metric behind
``DataDriftPreset``, without the preset's second pass over the data to draw its
summary table) on seeded samples of both sides (``DriftConfig`` sizes): numeric
columns with ``numeric_test``, the others with ``categorical_test``. How a column is
made comparable, and the explicit outcome for one that cannot be (missing, all null,
of another type on one side): ``ml.monitoring.columns``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from ml.monitoring.columns import CATEGORICAL, NUMERIC, ROW_COLUMNS, prepare_column
from ml.monitoring.config import DriftConfig
from ml.monitoring.reference import sample_rows

if TYPE_CHECKING:
    from evidently.core.report import Snapshot


@dataclass(frozen=True)
class DriftResult:
    """Per-feature verdicts, the share of drifted features and the Evidently snapshot."""

    rows: pd.DataFrame  # one row per feature, columns ROW_COLUMNS
    share_drifted: float  # drifted features / features
    drifted: bool  # share_drifted reached the threshold it was measured with
    snapshot: Snapshot | None  # None when no column could be compared


def measure_data_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    features: Sequence[str],
    config: DriftConfig,
    *,
    numeric: Collection[str] | None = None,
) -> DriftResult:
    """Compare tonight's features with the reference, feature by feature.

    Takes the champion's reference sample, tonight's feature rows and the feature
    columns to compare; ``numeric`` optionally names the features to compare as
    numbers (e.g. the model's ``FeatureSpec.numeric``; the others are then compared
    as categories), else each column's kind is inferred from its values. Both sides
    are first cut to seeded samples of ``config.reference_sample_size`` /
    ``config.current_sample_size`` rows.
    Returns the per-feature rows, the share of drifted features and whether it
    reached ``config.share_drifted_features``.

    Raises:
        ValueError: no features, a feature listed twice, or one in neither frame.
    """
    reference = sample_rows(reference, config.reference_sample_size, config.seed)
    current = sample_rows(current, config.current_sample_size, config.seed)
    tests = {
        NUMERIC: (config.numeric_test, config.numeric_threshold),
        CATEGORICAL: (config.categorical_test, config.categorical_threshold),
    }
    rows, snapshot = compare_columns(reference, current, features, tests, numeric)
    share = float(rows["drifted"].mean())
    return DriftResult(rows, share, share >= config.share_drifted_features, snapshot)


def compare_columns(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    features: Sequence[str],
    tests: dict[str, tuple[str, float]],
    numeric: Collection[str] | None = None,
) -> tuple[pd.DataFrame, Snapshot | None]:
    """Run one Evidently ValueDrift per comparable feature; explicit rows for the rest.

    ``tests`` maps ``numeric`` and ``categorical`` to (Evidently test name, threshold);
    ``numeric`` as in :func:`measure_data_drift`.
    Returns the rows (columns ROW_COLUMNS, in the order of ``features``) and the snapshot.

    Raises:
        ValueError: no features, a feature listed twice, or one in neither frame.
    """
    if not features:
        raise ValueError("no features to compare.")
    if len(set(features)) != len(features):
        twice = sorted({f for f in features if list(features).count(f) > 1})
        raise ValueError(f"features are listed more than once: {', '.join(twice)}.")
    rows: dict[str, dict[str, object]] = {}
    ref_values: dict[str, np.ndarray] = {}
    cur_values: dict[str, np.ndarray] = {}
    for feature in features:
        as_number = None if numeric is None else feature in numeric
        row, values = prepare_column(feature, reference, current, as_number)
        rows[feature] = row
        if values is not None:
            ref_values[feature], cur_values[feature] = values
            row["stattest"], row["threshold"] = tests[str(row["kind"])]
    snapshot = None
    if ref_values:
        snapshot, verdicts = _run_evidently(rows, ref_values, cur_values)
        for feature, (score, drifted) in verdicts.items():
            rows[feature].update(drift_score=score, drifted=drifted)
    frame = pd.DataFrame([rows[f] for f in features], columns=ROW_COLUMNS)
    return frame.astype({"drift_score": float, "threshold": float, "drifted": bool}), snapshot


def _run_evidently(
    rows: dict[str, dict[str, object]],
    ref_values: dict[str, np.ndarray],
    cur_values: dict[str, np.ndarray],
) -> tuple[Snapshot, dict[str, tuple[float, bool]]]:
    """One Report of ValueDrift metrics; the score and verdict of each feature."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    columns = list(ref_values)
    definition = DataDefinition(
        numerical_columns=[c for c in columns if rows[c]["kind"] == NUMERIC],
        categorical_columns=[c for c in columns if rows[c]["kind"] == CATEGORICAL],
    )
    metrics = [
        ValueDrift(
            column=c,
            method=str(rows[c]["stattest"]),
            threshold=float(cast(float, rows[c]["threshold"])),
        )
        for c in columns
    ]
    snapshot = Report(metrics, include_tests=True).run(
        current_data=Dataset.from_pandas(pd.DataFrame(cur_values), data_definition=definition),
        reference_data=Dataset.from_pandas(pd.DataFrame(ref_values), data_definition=definition),
    )
    found = snapshot.dict()
    scores = {m["config"]["column"]: float(m["value"]) for m in found["metrics"]}
    failed = {
        t["metric_config"]["params"]["column"]
        for t in found["tests"]
        if getattr(t["status"], "value", t["status"]) == "FAIL"
    }
    return snapshot, {c: (scores[c], c in failed) for c in columns}
