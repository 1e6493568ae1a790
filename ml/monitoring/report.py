"""The drift report a person opens: Evidently's HTML for one night and one model.

The data-drift and prediction-drift snapshots go into one self-contained HTML page
(Evidently inlines its JavaScript: about 4-5 MB whatever the data size). Its name
depends only on the run date and the model, so re-running a night replaces it.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ml.monitoring.data_drift import DriftResult

if TYPE_CHECKING:
    from evidently.core.report import Snapshot

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def drift_report_path(folder: Path, run_date: dt.date, model_name: str) -> Path:
    """``<folder>/drift_<model_name>_<YYYY-MM-DD>.html``; unsafe characters become ``_``.

    Raises:
        ValueError: the model name is empty once made safe.
    """
    safe = _UNSAFE.sub("_", model_name).strip("._")
    if not safe:
        raise ValueError(f"model name {model_name!r} cannot be used in a file name.")
    return Path(folder) / f"drift_{safe}_{run_date.isoformat()}.html"


def save_drift_report(
    folder: Path,
    run_date: dt.date,
    model_name: str,
    results: Sequence[DriftResult],
    *,
    model_version: str | None = None,
    summary: str | None = None,
) -> Path:
    """Write one HTML page with the Evidently snapshots of ``results``; return its path.

    Takes the folder (created if missing), the run date, the model's name and the
    night's results (e.g. data drift and prediction drift), in the order to show them.
    The page opens with a title (model, version, date) and the night's ``summary`` line,
    which Evidently's own page lacks; the browser tab shows the same title.
    The file is written next to its final name and renamed, so a reader never sees
    half a report. With no snapshot at all (nothing could be compared), the page says so.

    Raises:
        ValueError: no results, or a model name that cannot be used in a file name.
    """
    if not results:
        raise ValueError("no drift results to report.")
    path = drift_report_path(folder, run_date, model_name)
    snapshots = [r.snapshot for r in results if r.snapshot is not None]
    if not snapshots:
        text = _no_comparison_page(run_date, model_name)
    elif len(snapshots) == 1:
        text = snapshots[0].get_html_str(as_iframe=False)
    else:
        text = _merged(snapshots).get_html_str(as_iframe=False)
    text = _with_header(text, _title(run_date, model_name, model_version), summary)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return path


def _merged(snapshots: list[Snapshot]) -> Snapshot:
    """One snapshot showing the widgets and tests of several, in order.

    Goes through Evidently's own serialised form (``dump_dict`` / ``load_dict``), the
    public way to build a snapshot from parts.
    """
    from evidently.core.report import Snapshot

    parts = [s.dump_dict() for s in snapshots]
    merged = dict(parts[0])
    for key in ("widgets", "tests_widgets", "top_level_metrics"):
        merged[key] = [item for part in parts for item in part[key]]
    merged["metric_results"] = {k: v for part in parts for k, v in part["metric_results"].items()}
    return Snapshot.load_dict(merged)


def _title(run_date: dt.date, model_name: str, model_version: str | None) -> str:
    version = f" v{model_version}" if model_version else ""
    return f"Drift report: {model_name}{version}, {run_date.isoformat()}"


def _with_header(page: str, title: str, summary: str | None) -> str:
    """``page`` with ``title`` as its <title> and a header (title, summary) atop its body."""
    title = html.escape(title)
    header = (
        "<header style='font-family:sans-serif;margin:16px 24px'>"
        f"<h1 style='font-size:22px;margin:0 0 6px'>{title}</h1>"
        + (f"<p style='margin:0;font-size:15px'>{html.escape(summary)}</p>" if summary else "")
        + "</header>"
    )
    page = re.sub(r"<title>.*?</title>", "", page, count=1, flags=re.S)
    page = re.sub(r"</head>", f"<title>{title}</title></head>", page, count=1, flags=re.I)
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + header, page, count=1, flags=re.I)


def _no_comparison_page(run_date: dt.date, model_name: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'></head>"
        "<body><p>No column could be compared (missing, or all null, "
        "on one side); see the drift rows for each feature.</p></body></html>\n"
    )
