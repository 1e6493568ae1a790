"""Run one night's steps in this process, in the order and with the failure handling the
four nightly DAGs give them, without Airflow's start-up cost (used by the fault tests).

    python night_driver.py YYYY-MM-DD

Every step is the same ``ml`` function a DAG task calls. Left out: the GX check of the
deliveries and drift monitoring, which publish nothing and guard nothing the fault tests
look at. ``SALESPIPE_FAULT_POINT`` makes the process SIGKILL itself at a named point.
"""

from __future__ import annotations

import sys
from datetime import date

from ml.actions.deal_steps import write_next_best_deal_actions
from ml.actions.steps import write_next_best_actions
from ml.forecasting.steps import forecast_revenue
from ml.lead_scoring.steps import score_open_leads, train_lead_model_if_due
from ml.opportunity_scoring.steps import score_open_deals, train_deal_model_if_due
from ml.warehouse import runs as monitoring
from ml.warehouse.gate import record_run_outcome
from ml.warehouse.steps import (
    build_warehouse,
    ingest_deliveries,
    publish_for_readers,
    publish_night_if_complete,
)


def main(business_date: date) -> None:
    try:  # nightly_warehouse, with its record_run teardown
        ingest_deliveries(business_date)
        build_warehouse(business_date)
        publish_for_readers(business_date)
    finally:
        record_run_outcome(business_date)
    try:  # nightly_lead_scoring; its publish task runs whatever happened (all_done)
        train_lead_model_if_due(business_date)
        score_open_leads(business_date)
        write_next_best_actions(business_date)
    finally:
        publish_night_if_complete(business_date, monitoring.LEAD_SCORING_STAGE)
    try:  # nightly_opportunity_scoring; likewise
        train_deal_model_if_due(business_date)
        score_open_deals(business_date)
        write_next_best_deal_actions(business_date)
    finally:
        publish_night_if_complete(business_date, monitoring.OPPORTUNITY_SCORING_STAGE)
    try:  # nightly_revenue_forecast; likewise
        forecast_revenue(business_date)
    finally:
        publish_night_if_complete(business_date, monitoring.FORECAST_STAGE)


if __name__ == "__main__":
    main(date.fromisoformat(sys.argv[1]))
