"""The HTML drift report: one page per night and model, replaced on a re-run."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from ml.monitoring import (
    DriftConfig,
    drift_report_path,
    measure_data_drift,
    measure_prediction_drift,
    save_drift_report,
)

DAY = dt.date(2024, 6, 10)


@pytest.fixture(scope="module")
def results():
    r = np.random.default_rng(3)
    reference = pd.DataFrame(
        {"employees": r.normal(0, 1, 300), "source": r.choice(["a", "b"], 300)}
    )
    current = reference.assign(employees=reference["employees"] + 2)
    data = measure_data_drift(reference, current, ["employees", "source"], DriftConfig())
    prediction = measure_prediction_drift(r.random(300), r.random(300) ** 3, DriftConfig())
    return data, prediction


def test_the_file_name_depends_only_on_the_date_and_the_model(tmp_path):
    path = drift_report_path(tmp_path, DAY, "lead_scoring xgboost/v2")
    assert path == tmp_path / "drift_lead_scoring_xgboost_v2_2024-06-10.html"
    with pytest.raises(ValueError, match="cannot be used in a file name"):
        drift_report_path(tmp_path, DAY, "///")


def test_one_page_holds_data_and_prediction_drift_and_a_rerun_replaces_it(tmp_path, results):
    folder = tmp_path / "reports"
    path = save_drift_report(folder, DAY, "lead_scoring_xgboost", results)
    assert path == drift_report_path(folder, DAY, "lead_scoring_xgboost") and path.is_file()
    page = path.read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html") or "<html" in page[:500]
    assert "Drift in column 'employees'" in page and "Drift in column 'prediction'" in page
    again = save_drift_report(folder, DAY, "lead_scoring_xgboost", results[:1])
    assert again == path and "Drift in column 'prediction'" not in path.read_text(encoding="utf-8")
    assert sorted(p.name for p in folder.iterdir()) == [path.name]  # no partial file left


def test_a_night_where_nothing_could_be_compared_still_gets_a_page(tmp_path):
    reference, current = pd.DataFrame({"a": [1.0, 2.0]}), pd.DataFrame({"b": [1.0]})
    nothing = measure_data_drift(reference, current, ["a", "b"], DriftConfig())
    assert nothing.snapshot is None and nothing.rows["drifted"].all()
    page = save_drift_report(tmp_path, DAY, "m", [nothing]).read_text(encoding="utf-8")
    assert "No column could be compared" in page
    with pytest.raises(ValueError, match="no drift results"):
        save_drift_report(tmp_path, DAY, "m", [])


def test_the_page_says_what_it_is_and_what_the_night_found(tmp_path, results):
    summary = "1 of 2 features drifted (employees); prediction drift 0.310 (drifted)."
    page = save_drift_report(
        tmp_path, DAY, "lead_scoring", results, model_version="3", summary=summary
    ).read_text(encoding="utf-8")
    title = "Drift report: lead_scoring v3, 2024-06-10"
    assert f"<title>{title}</title>" in page
    header = re.search(r"<body[^>]*>(<header.*?</header>)", page, flags=re.S)
    assert header and f">{title}</h1>" in header.group(1)  # first thing on the page
    assert "Drift in column 'employees'" in page
    assert summary in header.group(1)
