"""`salespipe ingest` reports what the gate did: the reconciliation, Data Docs, or why it failed."""

from __future__ import annotations

import logging

import pytest
from quality_helpers import LEADS_HEADER, lead

from ml.cli import main


@pytest.fixture(autouse=True)
def home(settings, monkeypatch):
    monkeypatch.setenv("SALESPIPE_HOME", str(settings.home))
    monkeypatch.delenv("SALESPIPE_LANDING", raising=False)
    return settings.home


def test_ingest_prints_the_reconciliation_and_where_the_data_docs_are(settings, landing, caplog):
    caplog.set_level(logging.INFO)
    landing.write("leads/2024-01-02/leads.csv", LEADS_HEADER, lead("L3"), lead("L4", status="?"))

    assert main(["ingest", "--landing", str(landing.root)]) == 0

    out = caplog.text  # the CLI prints through logging
    assert "rows per table: delivered = loaded + quarantined + in rejected files + repeated" in out
    assert "raw.leads                                  4 = 3 + 1 + 0 + 0" in out
    assert f"Data Docs: {settings.reports / 'data_docs' / 'index.html'}" in out


def test_ingest_with_a_rejected_file_fails_naming_it(settings, landing, capsys):
    landing.write("leads/2024-01-02/leads.csv", "lead_id,status", "L3,open")

    assert main(["ingest", "--landing", str(landing.root)]) == 1

    err = capsys.readouterr().err
    assert err.startswith("salespipe ingest failed: Data-quality gate failed for business date")
    assert "leads/2024-01-02/leads.csv lacks required column(s) created_at, updated_at" in err


def test_ingest_records_its_counts_through_the_warehouse_step_and_starts_no_night(
    settings, landing
):
    import duckdb

    landing.write("leads/2024-01-02/leads.csv", LEADS_HEADER, lead("L3"), lead("L4", status="?"))

    assert main(["ingest", "--landing", str(landing.root)]) == 0

    with duckdb.connect(str(settings.work_warehouse), read_only=True) as con:
        counts = con.execute(
            "select rows_delivered, rows_loaded, rows_quarantined from "
            "monitoring.pipeline_run_tables where run_date = '2024-01-02' and table_name = 'leads'"
        ).fetchall()
        runs = con.execute("select count(*) from monitoring.pipeline_runs").fetchone()[0]
    assert counts == [(4, 3, 1)]
    assert runs == 0  # a night's row is the nightly DAG's to start
