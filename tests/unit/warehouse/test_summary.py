"""The run summary reads a published night in one connection and leaves out what the
night did not write."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from ml.warehouse import summary
from ml.warehouse.summary import read_night_summary, recorded_failure

NIGHT = date(2024, 5, 31)


def publish(path: Path, *, with_scores: bool) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema meta; create schema monitoring; create schema ml")
        con.execute(f"create table meta.publication as select date '{NIGHT}' as business_date")
        con.execute(
            "create table monitoring.pipeline_runs as select "
            f"date '{NIGHT}' as run_date, 10 as rows_in, 8 as rows_out, 1 as rows_quarantined, "
            "1 as rows_rejected, 0 as rows_repeated, 'docs/index.html' as data_docs, "
            "'failed' as status, 'gate failed: leads' as message"
        )
        if with_scores:
            con.execute(
                "create table ml.lead_scores as select * from (values "
                f"('L1', date '{NIGHT}', 'A', 'lead_scoring', '3', 'model'), "
                f"('L2', date '{NIGHT}', 'A', 'lead_scoring', '3', 'model'), "
                f"('L3', date '{NIGHT}', null, 'lead_scoring', '3', 'model')) "
                "as t(lead_id, score_date, grade, model_name, model_version, scoring_method)"
            )


def test_one_connection_reads_every_figure(tmp_path, monkeypatch):
    path = tmp_path / "salespipe.duckdb"
    publish(path, with_scores=True)
    opened = []
    connect = duckdb.connect
    monkeypatch.setattr(
        summary.duckdb, "connect", lambda *a, **k: opened.append(a) or connect(*a, **k)
    )

    night = read_night_summary(path)

    assert len(opened) == 1
    assert night.business_date == NIGHT
    assert night.table_rows == [
        ("ml.lead_scores", 3), ("monitoring.pipeline_runs", 1),
    ]  # fmt: skip
    assert night.run == (10, 8, 1, 1, 0, "docs/index.html")
    assert night.lead_grades == [
        ("A", 2, "lead_scoring", "3", "model"), ("stale", 1, "lead_scoring", "3", "model"),
    ]  # fmt: skip
    # tables this night did not write read as None: the summary leaves their part out
    assert night.drift is None and night.forecast_totals is None and night.skipped == []


def test_a_night_without_scores_says_so_with_none(tmp_path):
    path = tmp_path / "salespipe.duckdb"
    publish(path, with_scores=False)

    assert read_night_summary(path).lead_grades is None


def test_the_recorded_failure_is_the_runs_message(tmp_path):
    path = tmp_path / "work.duckdb"
    publish(path, with_scores=False)

    assert recorded_failure(path, NIGHT) == "gate failed: leads"
    assert recorded_failure(path, date(2024, 6, 1)) is None
    assert recorded_failure(tmp_path / "nothing.duckdb", NIGHT) is None
