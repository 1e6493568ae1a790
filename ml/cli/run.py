"""``salespipe run`` and ``salespipe demo``: a night through Airflow, then what it built."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from ml import names
from ml.cli.common import UsageError, iso_date, log
from ml.settings import Settings

if TYPE_CHECKING:
    from ml.warehouse.pipeline_summary import Waterfall, WeightedPeriod

DEMO_LEADS = 5_000
DEMO_DAYS = 730
DEMO_START = date(2024, 1, 1)


def add_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """Add ``salespipe run`` and ``salespipe demo`` through ``command(name, help)``."""
    run = command("run", "run the nightly pipeline for a business date")
    run.add_argument(
        "--date",
        type=iso_date,
        required=True,
        dest="business_date",
        help="the business date (YYYY-MM-DD) whose deliveries the night processes",
    )
    run.add_argument(
        "--force-publish",
        action="store_true",
        help="publish even when the night falls far short of the last published one "
        "(default: such a night fails before publishing)",
    )
    run.set_defaults(handler=_run)

    demo = command("demo", "generate, ingest, run and show what was built")
    demo.add_argument("--leads", type=int, default=DEMO_LEADS, help="how many leads to create")
    demo.add_argument("--days", type=int, default=DEMO_DAYS, help="how many daily deliveries")
    demo.add_argument("--seed", type=int, default=42, help="random seed; same seed, same data")
    demo.set_defaults(handler=_demo)


def _run(args: argparse.Namespace, settings: Settings) -> None:
    from ml.airflow_cli import AirflowRunError
    from ml.warehouse.steps import failure_of

    if args.force_publish:
        settings = dataclasses.replace(settings, force_publish=True)
    try:
        _run_nightly(settings, args.business_date)
    except AirflowRunError as exc:
        # Say why in the terms of the data (the gate's summary), not Airflow's log tail.
        reason = failure_of(args.business_date, settings)
        if reason is None:
            raise
        log_line = str(exc).splitlines()[0]
        raise AirflowRunError(f"{reason}\n{log_line}") from exc
    _print_warehouse(settings)


def _run_nightly(settings: Settings, business_date: date) -> None:
    from ml.cli.state import where_salespipe_looked
    from ml.nightly import run_night

    if not settings.landing.is_dir():
        raise UsageError(
            f"No landing folder at {settings.landing}. Write one with `salespipe generate "
            f"--out {settings.landing}`, or point SALESPIPE_LANDING at your deliveries. "
            + where_salespipe_looked(settings)
        )
    run_night(settings, business_date, progress=lambda line: log.info("  | %s", line[:200]))


def _demo(args: argparse.Namespace, settings: Settings) -> None:
    from ml.generate import generate_landing_zone
    from ml.serving.examples import api_hint

    log.info("salespipe demo: state in %s", settings.home)
    log.info(
        "1/2 Generating a synthetic CRM landing zone (%s leads, %d days) in %s ...",
        f"{args.leads:,}",
        args.days,
        settings.landing,
    )
    summary = generate_landing_zone(
        settings.landing,
        seed=args.seed,
        leads=args.leads,
        start=DEMO_START,
        days=args.days,
        progress=log.info,
    )
    log.info("2/2 Running the nightly pipeline for business date %s ...", summary.last_day)
    _run_nightly(settings, summary.last_day)
    _print_warehouse(settings)
    log.info("")
    log.info(
        "Airflow UI on this state:  salespipe airflow standalone   "
        "(then http://127.0.0.1:8080, user admin; the password is in %s)",
        settings.airflow_password_file,
    )
    for line in api_hint(settings, summary.last_day):
        log.info(line)
    log.info("Everything salespipe keeps:  salespipe info")


def _print_warehouse(settings: Settings) -> None:
    from ml.warehouse.steps import night_summary

    night = night_summary(settings)
    business_date = night.business_date
    log.info("")
    log.info("Warehouse for BI tools (read-only, business date %s):", business_date)
    log.info("  %s", settings.warehouse)
    for table, rows in night.table_rows:
        log.info("  %-40s %12s rows", table, f"{rows:,}")
    for line in night.skipped:
        log.info("")
        log.info("%s (monitoring.pipeline_stages).", line[0].upper() + line[1:])
    if night.run is not None:
        log.info("")
        log.info(
            "Data quality for %s: %s rows delivered = %s loaded + %s quarantined + %s in "
            "rejected files + %s repeated (monitoring.pipeline_runs).",
            business_date,
            *(f"{n or 0:,}" for n in night.run[:5]),
        )
        log.info("  Data Docs: %s", night.run[5] or settings.reports / "data_docs" / "index.html")
    if night.lead_grades is None:
        return
    if night.lead_grades:
        grades = ", ".join(f"{grade} {count:,}" for grade, count, *_ in night.lead_grades)
        _, _, name, version, method = night.lead_grades[0]
        log.info("")
        log.info("Lead scores for %s (ml.lead_scores): %s; from %s v%s (%s).",
                 business_date, grades, name, version, method)  # fmt: skip
        log.info("  Runs, plots and aliases: salespipe models ui  (MLflow, %s)",
                 settings.mlflow_tracking_uri)  # fmt: skip
    _print_drift(night.drift, business_date)
    _print_deals_at_risk(night.deals_at_risk, business_date)
    _print_waterfall(night.waterfall)
    _print_weighted_pipeline(night.weighted_pipeline, business_date)
    _print_forecasts(night.forecast_totals, night.forecast_segments, business_date)


def _print_forecasts(rows: list[tuple] | None, segments: int, business_date: date) -> None:
    if not rows:
        return
    log.info("")
    version, alias = rows[0][6], rows[0][7]
    log.info("Revenue forecasts for %s (ml.revenue_forecasts, %d segments) from "
             "%s v%s (%s):", business_date, segments, names.REVENUE_FORECAST, version,
             alias)  # fmt: skip
    for grain, forecast, lower, upper, pipeline, *_ in rows:
        horizon = "next 13 weeks" if grain == "week" else "next 6 months"
        log.info("  %s, total: %s (80%% interval per period summed: %s to %s); "
                 "existing pipeline %s", horizon, f"{forecast:,.0f}", f"{lower:,.0f}",
                 f"{upper:,.0f}", f"{pipeline:,.0f}")  # fmt: skip


def _print_deals_at_risk(rows: list[tuple] | None, business_date: date) -> None:
    """The open deals most at risk (highest slip probability, then amount) with the
    factors that lower their win probability (ml.warehouse.pipeline_summary)."""
    import json

    if not rows:
        return
    log.info("")
    log.info("Deals most at risk on %s (ml.opportunity_scores, %s):", business_date, rows[0][3])
    for deal, win, slip, method, amount, factors in rows:
        against = json.loads(factors)["negative"]
        reasons = "; ".join(f"{f['label']} {f['value']}" for f in against) or (
            "none stood out (scored by the stage win rates, which know only its stage, time "
            "in it and amount: no deal model in use)"
            if method == "stage_win_rate"
            else "none stood out"
        )
        log.info("  %s: slip %.0f%%, win %.0f%%, amount %s; against it: %s", deal, 100 * slip,
                 100 * win, f"{amount or 0:,.0f}", reasons)  # fmt: skip


def _print_waterfall(waterfall: Waterfall | None) -> None:
    """Last week's pipeline waterfall of the quarter holding the business date, and the
    identity it satisfies (marts.pipeline_flow reconciles by construction)."""
    if waterfall is None:
        return
    period = waterfall.period_start
    quarter = f"{period.year}-Q{(period.month - 1) // 3 + 1}"
    log.info("")
    log.info("Pipeline waterfall for deals closing in %s, %s to %s (marts.pipeline_flow):",
             quarter, waterfall.compared_with_date, waterfall.snapshot_date)  # fmt: skip
    amount, deals = waterfall.start
    log.info("  %-14s %16s  %5s deals", "start", f"{amount:,.2f}", f"{deals:,}")
    for name, sign, amount, deals in waterfall.steps:
        label = f"{'+' if sign > 0 else '-'} {name}"
        log.info("  %-14s %16s  %5s deals", label, f"{amount:,.2f}", f"{deals:,}")
    amount, deals = waterfall.end
    log.info("  %-14s %16s  %5s deals", "= end", f"{amount:,.2f}", f"{deals:,}")
    terms = " ".join(
        f"{'+' if sign > 0 else '-'} {amount:,.2f}" for _, sign, amount, _ in waterfall.steps
    )
    check = (
        "reconciles to the cent"
        if abs(waterfall.difference) < 0.005
        else f"off by {waterfall.difference:,.2f}"
    )
    log.info("  start + new + increases - decreases - won - lost - pushed out + pulled in = end:")
    log.info("  %s %s = %s (%s)", f"{waterfall.start[0]:,.2f}", terms,
             f"{waterfall.end[0]:,.2f}", check)  # fmt: skip
    log.info("  (pushed out / pulled in: the close date moved out of / into the quarter)")


def _print_weighted_pipeline(periods: list[WeightedPeriod] | None, business_date: date) -> None:
    """Sum of amount x win probability of the open deals, by expected close month."""
    if not periods:
        return
    log.info("")
    log.info("Weighted pipeline on %s by expected close month (ml.opportunity_scores: "
             "amount x win probability):", business_date)  # fmt: skip
    for period in periods:
        month = period.period_start.strftime("%Y-%m") if period.period_start else "no period"
        log.info("  %-9s %16s of %16s in %5s deals", month, f"{period.expected_value:,.0f}",
                 f"{period.amount:,.0f}", f"{period.deals:,}")  # fmt: skip
    log.info("  %-9s %16s of %16s in %5s deals", "total",
             f"{sum(p.expected_value for p in periods):,.0f}",
             f"{sum(p.amount for p in periods):,.0f}",
             f"{sum(p.deals for p in periods):,}")  # fmt: skip


def _print_drift(run: tuple | None, business_date: date) -> None:
    if run is None:
        return
    drifted, features, psi, alerts, requested, cooled, report, note = run
    log.info("")
    if note:
        log.info("Drift monitoring for %s: %s.", business_date, note)
        return
    verdict = (
        "retraining requested" if requested else "retraining held back by the cooldown"
        if cooled else "no retraining"
    )  # fmt: skip
    log.info("Drift monitoring for %s: %d of %d features drifted, prediction PSI %.3f; %s.",
             business_date, drifted, features, psi, verdict)  # fmt: skip
    if alerts:
        log.info("  Alerts: %s", alerts)
    log.info("  Report: %s", report)
