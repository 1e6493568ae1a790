"""Online inputs for the drift monitor: ``monitoring.online_lead_inputs``.

Every lead the API scores is queued with its model inputs (the feature values the model
saw), its probability and the model version. A writer thread appends the queue to the
table every ``log_flush_seconds`` in one transaction (the catalog's writer), keyed
by request id, so a retried flush replaces rather than doubles its rows. The table lives
in its own file, ``<home>/serving/online_inputs.duckdb``: the nightly holds the working
warehouse for minutes, and DuckDB lets one process write a file at a time. The writer
opens the file only while it writes, so the drift monitor (or anyone) can read it between
flushes: :func:`read_online_inputs` gives the inputs of a date as the columns the model
uses, the same frame the nightly's inputs are.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from ml.catalog import write_partition

log = logging.getLogger(__name__)
TABLE = "monitoring.online_lead_inputs"


def online_inputs_file(home: Path) -> Path:
    return home / "serving" / "online_inputs.duckdb"


def write_online_inputs(path: Path, rows: pd.DataFrame) -> int:
    """Append ``rows`` (the table's columns), replacing their request ids, in one transaction."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        # the catalog's writer: the declared table, its request ids' rows replaced
        return write_partition(con, TABLE, rows)


def read_online_inputs(path: Path, as_of: date) -> pd.DataFrame:
    """The model inputs scored online for ``as_of``: one row per scored lead, one column per
    feature (as the model saw them), plus lead_id, model_version and the probability."""
    if not path.exists():
        return pd.DataFrame()
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            f"select lead_id, model_version, conversion_probability, inputs from {TABLE} "
            "where as_of_date = ? order by received_at, lead_id",
            [as_of],
        ).df()
    features = pd.DataFrame([json.loads(text) for text in rows["inputs"]], index=rows.index)
    return pd.concat([rows.drop(columns="inputs"), features], axis=1)


def with_inputs_json(rows: pd.DataFrame, inputs: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with their ``inputs`` column: each row of ``inputs`` as a JSON object."""
    lines = inputs.to_json(orient="records", lines=True).splitlines() if len(inputs) else []
    return rows.assign(inputs=lines)


class OnlineInputLog:
    """Queue of scored rows, written by a daemon thread every ``flush_seconds``."""

    def __init__(self, path: Path, flush_seconds: float) -> None:
        self.path = path
        self._queue: queue.Queue[tuple[pd.DataFrame, pd.DataFrame | None]] = queue.Queue()
        self._flush_seconds = flush_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def put(self, rows: pd.DataFrame, inputs: pd.DataFrame | None = None) -> None:
        """Queue ``rows`` of the table; ``inputs`` (the model's input columns, one row per
        row) become their ``inputs`` JSON when written, off the request's path."""
        self._queue.put((rows, inputs))

    def flush(self) -> int:
        """Write everything queued so far; returns the rows written (0 on a failed write,
        whose rows go back on the queue)."""
        parts: list[pd.DataFrame] = []
        while True:
            try:
                rows, inputs = self._queue.get_nowait()
            except queue.Empty:
                break
            parts.append(rows if inputs is None else with_inputs_json(rows, inputs))
        if not parts:
            return 0
        rows = pd.concat(parts, ignore_index=True)
        try:
            return write_online_inputs(self.path, rows)
        except duckdb.Error:
            log.exception("could not write %d online inputs to %s; retrying", len(rows), self.path)
            self._queue.put((rows, None))
            return 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="online-log", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self._flush_seconds):
            self.flush()
