"""Drift of the inputs the scoring API saw, against the champion's training reference:
the nightly drift comparison (:mod:`ml.monitoring`) on ``monitoring.online_lead_inputs``.

Pure functions on frames; the step that reads the online inputs and the reference and
writes ``monitoring.online_drift`` is :func:`ml.serving.steps.monitor_online_inputs`.

What is compared: each lead's latest online score of the date (a lead scored ten times
counts once), scored by the version whose reference it is compared with. Rows scored by
another version (the alias moved that day) are left out and counted in the note. Below
``min_rows`` leads the comparison says so instead of giving a verdict: a distance
between a few dozen values and 20,000 is mostly noise.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import pandas as pd

from ml.monitoring import PREDICTION, DriftConfig, measure_data_drift, measure_prediction_drift
from ml.monitoring.columns import ROW_COLUMNS

PROBABILITY = "conversion_probability"
ONLINE_COLUMNS = ("lead_id", "model_version", PROBABILITY)
MIN_ROWS = 100


def online_drift_rows(
    reference: pd.DataFrame,
    online: pd.DataFrame,
    *,
    model_version: str,
    features: Sequence[str],
    numeric: Collection[str],
    config: DriftConfig,
    min_rows: int = MIN_ROWS,
) -> pd.DataFrame:
    """One row per feature and one for ``prediction`` (``ROW_COLUMNS`` plus
    ``online_rows``): the online inputs of one date against ``model_version``'s reference.

    Takes the version's reference sample (its features plus ``prediction``) and the
    date's online inputs as :func:`ml.serving.online_log.read_online_inputs` returns them
    (in the order they were scored). Below ``min_rows`` leads (or with none), every row
    says how many there were and ``drifted`` is False.

    Raises:
        ValueError: ``online`` lacks lead_id, model_version or the probability (when it
            has rows), or as :func:`ml.monitoring.measure_data_drift`.
    """
    missing = [c for c in ONLINE_COLUMNS if c not in online.columns]
    if len(online) and missing:
        raise ValueError(f"online inputs lack the column(s) {', '.join(missing)}.")
    mine = online[online["model_version"] == model_version] if len(online) else online
    others = len(online) - len(mine)
    latest = mine.drop_duplicates("lead_id", keep="last") if len(mine) else mine
    note = f"{len(latest)} lead(s) scored online by v{model_version}"
    if others:
        note += f"; {others} online score(s) by other versions left out"
    if len(latest) < min_rows:
        return not_compared(features, len(latest), f"{note}: fewer than {min_rows}, not compared")
    data = measure_data_drift(
        reference.drop(columns=PREDICTION), latest, features, config, numeric=numeric
    )
    prediction = measure_prediction_drift(reference[PREDICTION], latest[PROBABILITY], config)
    rows = pd.concat([data.rows, prediction.rows], ignore_index=True)
    notes = rows["note"].fillna("")
    rows["note"] = note + notes.map(lambda text: f"; {text}" if text else "")
    return rows.assign(online_rows=len(latest))


def not_compared(features: Sequence[str], online_rows: int, note: str) -> pd.DataFrame:
    """Rows that give no verdict (``drifted`` False), one per feature and ``prediction``."""
    return pd.DataFrame(
        {
            "feature": [*features, PREDICTION],
            "drift_score": float("nan"),
            "threshold": float("nan"),
            "drifted": False,
            "stattest": None,
            "reference_rows": 0,
            "current_rows": online_rows,
            "kind": "",
            "note": note,
            "online_rows": online_rows,
        },
        columns=[*ROW_COLUMNS, "online_rows"],
    )
