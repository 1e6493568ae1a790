"""The ``salespipe`` command (CONTRACT §2)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from ml.access import secure_home
from ml.audit import audited
from ml.cli_models import add_models_parser
from ml.cli_privacy import add_privacy_parser
from ml.forecasting.config import forecast_config
from ml.lead_scoring.config import lead_scoring_config
from ml.monitoring.config import drift_config
from ml.settings import HOME_VAR, Settings, load_settings

log = logging.getLogger("salespipe")

DEMO_LEADS = 5_000
DEMO_DAYS = 730
DEMO_START = date(2024, 1, 1)


class UsageError(Exception):
    """Bad input from the user; printed as one paragraph, exit code 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    try:
        settings = load_settings()
        secure_home(settings)  # an older install's 755 folders closed (ml.access)
        # a broken salespipe.yml stops here, before any work
        lead_scoring_config(settings), drift_config(settings), forecast_config(settings)
        action = _audited_action(args)
        if action is None:
            return args.handler(args, settings) or 0
        with audited(settings, action, _arguments(args)):
            return args.handler(args, settings) or 0
    except UsageError as exc:
        print(f"salespipe {args.command}: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - every failure ends in one readable paragraph
        if not _is_known_failure(exc):
            raise
        print(f"salespipe {args.command} failed: {exc}", file=sys.stderr)
        return 1


# Commands that change state, and so leave a row in monitoring.audit_log (ml.audit).
_AUDITED = {"generate", "ingest", "run", "demo", "airflow", "models train", "models promote",
            "models rollback", "privacy erase"}  # fmt: skip


def _audited_action(args: argparse.Namespace) -> str | None:
    name = " ".join(filter(None, (args.command, getattr(args, "action", None))))
    return f"salespipe {name}" if name in _AUDITED else None


def _arguments(args: argparse.Namespace) -> dict:
    return {k: v for k, v in vars(args).items() if k not in ("handler", "command", "action")}


def _is_known_failure(exc: Exception) -> bool:
    from ml.airflow_cli import AirflowRunError
    from ml.cli_models import WarehouseBusyError
    from ml.cli_state import MissingStateError
    from ml.mapping import MappingError
    from ml.quality.outcomes import QualityGateError
    from ml.registry.aliases import NoPreviousChampionError
    from ml.run_lock import RunLockedError
    from ml.warehouse.ingest import IngestError
    from ml.warehouse.transform import DbtBuildError

    return isinstance(
        exc,
        (
            RunLockedError,
            ValueError,
            FileNotFoundError,
            IngestError,
            AirflowRunError,
            DbtBuildError,
            QualityGateError,
            MappingError,
            NoPreviousChampionError,
            WarehouseBusyError,
            MissingStateError,
        ),
    )


class HelpFormatter(argparse.HelpFormatter):
    """``--help`` that shows every option's default (argparse's own formatter also prints
    "(default: None)" and "(default: False)", which say nothing)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        shown = action.default not in (None, False, argparse.SUPPRESS)
        if shown and action.option_strings and "%(default)" not in text:
            text += " (default: %(default)s)"
        return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="salespipe",
        description=__doc__,
        formatter_class=HelpFormatter,
        epilog=(
            f"State lives in ${HOME_VAR} (default: .salespipe in the current folder); "
            "`salespipe info` prints where."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, description=help, formatter_class=HelpFormatter)

    generate = command("generate", "write a synthetic CRM landing zone")
    generate.add_argument("--out", type=Path, required=True, help="landing folder to write")
    generate.add_argument("--seed", type=int, default=42, help="random seed; same seed, same data")
    generate.add_argument("--leads", type=int, default=20_000, help="how many leads to create")
    generate.add_argument(
        "--start", type=_iso_date, default=date(2024, 1, 1), help="first delivery day"
    )
    generate.add_argument("--days", type=int, default=730, help="how many daily deliveries")
    generate.add_argument(
        "--drift-from",
        type=_iso_date,
        help="from this day on, leads come from a shifted source mix and bigger companies "
        "(default: no drift)",
    )
    generate.add_argument(
        "--drift-strength", type=float, default=1.0, help="how far the drift goes, in (0, 1]"
    )
    generate.set_defaults(handler=_generate)

    ingest = command("ingest", "load a landing zone into the raw layer")
    ingest.add_argument(
        "--landing", type=Path, required=True, help="landing zone (or, with --mapping, an export)"
    )
    ingest.add_argument(
        "--mapping",
        type=Path,
        help="YAML mapping for an export in another shape (default: the landing zone is "
        "already in the contract's shape)",
    )
    ingest.add_argument(
        "--up-to",
        type=_iso_date,
        help="ignore deliveries dated after this (default: load every delivery)",
    )
    ingest.set_defaults(handler=_ingest)

    run = command("run", "run the nightly pipeline for a business date")
    run.add_argument(
        "--date",
        type=_iso_date,
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

    info = command("info", "print where everything lives")
    info.add_argument("--json", action="store_true", help="print one JSON object instead")
    info.set_defaults(handler=_info)

    airflow = command(
        "airflow",
        "run the Airflow CLI on this install's state, e.g. `salespipe airflow standalone`",
    )
    airflow.add_argument(
        "airflow_args",
        nargs=argparse.REMAINDER,
        help="arguments for Airflow's own CLI (`salespipe airflow --help` lists this command's)",
    )
    airflow.set_defaults(handler=_airflow)
    add_models_parser(commands, _iso_date, HelpFormatter)
    add_privacy_parser(commands, HelpFormatter)
    return parser


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in YYYY-MM-DD form") from None


def _generate(args: argparse.Namespace, settings: Settings) -> None:
    from ml.generate import generate_landing_zone

    started = time.monotonic()
    summary = generate_landing_zone(
        args.out,
        seed=args.seed,
        leads=args.leads,
        start=args.start,
        days=args.days,
        drift_from=args.drift_from,
        drift_strength=args.drift_strength,
        progress=log.info,
    )
    log.info(
        "Wrote %s (%s to %s, %d files) in %.1f s:",
        summary.out,
        summary.first_day,
        summary.last_day,
        summary.files,
        time.monotonic() - started,
    )
    for table, rows in summary.rows.items():
        log.info("  %-27s %12s rows", table, f"{rows:,}")


def _ingest(args: argparse.Namespace, settings: Settings) -> None:
    import duckdb

    from ml.privacy.suppression import use_pii_key
    from ml.quality.steps import check_deliveries
    from ml.warehouse.ingest import ingest_landing_zone

    landing = args.landing if args.mapping is None else _map_export(args, settings)
    settings.work_warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.work_warehouse)) as con:
        use_pii_key(con, settings.pii_key())  # to hold back erased people (ml.privacy)
        summary = ingest_landing_zone(con, landing, up_to=args.up_to, progress=log.info)
    log.info(
        "Ingested into %s: %d files loaded, %d replaced, %d repeated deliveries skipped, "
        "%d rejected, %d already loaded.",
        settings.work_warehouse,
        len(summary.loaded),
        len(summary.replaced),
        len(summary.duplicates),
        len(summary.rejected),
        summary.unchanged,
    )
    log.info("  rows per table: delivered = loaded + quarantined + in rejected files + repeated")
    for table, counts in sorted(summary.tables.items()):
        log.info(
            "  raw.%-27s %12s = %s + %s + %s + %s",
            table,
            f"{counts.delivered:,}",
            f"{counts.loaded:,}",
            f"{counts.quarantined:,}",
            f"{counts.rejected:,}",
            f"{counts.repeated:,}",
        )
    for path, reason in summary.skipped:
        log.info("  skipped %s: %s", path, reason)
    if summary.business_date is not None:
        # Validates what this ingest did (and writes Data Docs); a rejected file fails it.
        report = check_deliveries(summary.business_date, settings)
        log.info("Quarantined rows are in the working warehouse's quarantine schema.")
        log.info("Data Docs: %s", report.data_docs)


def _map_export(args: argparse.Namespace, settings: Settings) -> Path:
    """Turn an export (``--landing``) into this install's landing zone with ``--mapping``.

    The mapped landing zone is the install's own (``SALESPIPE_LANDING``), so the nightly
    run ingests it like any other delivery.
    """
    from ml.mapping import apply_mapping, load_mapping

    log.info("Checking mapping %s against the export in %s ...", args.mapping, args.landing)
    spec = load_mapping(args.mapping, source_dir=args.landing)
    mapped = apply_mapping(spec, settings.landing)
    log.info(
        "Mapped the export into %s as one delivery dated %s:", mapped.out, mapped.delivery_date
    )
    for table, rows in mapped.rows.items():
        log.info("  %-27s %12s rows", table, f"{rows:,}")
    for note in mapped.notes:
        log.info("  note: %s", note)
    if mapped.missing_tables:
        log.info(
            "  %s: not in this export; their raw tables stay empty",
            ", ".join(mapped.missing_tables),
        )
    return mapped.out


def _run(args: argparse.Namespace, settings: Settings) -> None:
    from ml.airflow_cli import AirflowRunError

    if args.force_publish:
        settings = dataclasses.replace(settings, force_publish=True)
    try:
        _run_nightly(settings, args.business_date)
    except AirflowRunError as exc:
        # Say why in the terms of the data (the gate's summary), not Airflow's log tail.
        reason = _recorded_failure(settings, args.business_date)
        if reason is None:
            raise
        log_line = str(exc).splitlines()[0]
        raise AirflowRunError(f"{reason}\n{log_line}") from exc
    _print_warehouse(settings)


def _recorded_failure(settings: Settings, business_date: date) -> str | None:
    """The message a failed run left in monitoring.pipeline_runs, if any."""
    import duckdb

    if not settings.work_warehouse.exists():
        return None
    with duckdb.connect(str(settings.work_warehouse), read_only=True) as con:
        tables = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'monitoring' and table_name = 'pipeline_runs'"
        ).fetchone()[0]
        if not tables:
            return None
        row = con.execute(
            "select message from monitoring.pipeline_runs where run_date = ? and status = 'failed'",
            [business_date],
        ).fetchone()
    return row[0] if row else None


def _run_nightly(settings: Settings, business_date: date) -> None:
    from ml.cli_state import where_salespipe_looked
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
    log.info("Everything salespipe keeps:  salespipe info")


def _print_warehouse(settings: Settings) -> None:
    import duckdb

    from ml.quality.monitoring import skipped_stage_lines

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        (business_date,) = con.execute("select business_date from meta.publication").fetchone()
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema <> 'meta' order by 1, 2"
        ).fetchall()
        log.info("")
        log.info("Warehouse for BI tools (read-only, business date %s):", business_date)
        log.info("  %s", settings.warehouse)
        for schema, name in tables:
            (rows,) = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()
            log.info("  %-40s %12s rows", f"{schema}.{name}", f"{rows:,}")
        run = con.execute(
            "select rows_in, rows_out, rows_quarantined, rows_rejected, rows_repeated, data_docs "
            "from monitoring.pipeline_runs where run_date = ?",
            [business_date],
        ).fetchone()
        skipped = skipped_stage_lines(con, business_date)
    for line in skipped:
        log.info("")
        log.info("%s (monitoring.pipeline_stages).", line[0].upper() + line[1:])
    if run is not None:
        log.info("")
        log.info(
            "Data quality for %s: %s rows delivered = %s loaded + %s quarantined + %s in "
            "rejected files + %s repeated (monitoring.pipeline_runs).",
            business_date,
            *(f"{n or 0:,}" for n in run[:5]),
        )
        log.info("  Data Docs: %s", run[5] or settings.reports / "data_docs" / "index.html")
    _print_lead_scores(settings, business_date)


def _print_lead_scores(settings: Settings, business_date: date) -> None:
    import duckdb

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        try:
            rows = con.execute(
                "select coalesce(grade, 'stale'), count(*), any_value(model_name), "
                "any_value(model_version), any_value(scoring_method) from ml.lead_scores "
                "where score_date = ? group by grade order by grade nulls last",
                [business_date],
            ).fetchall()
        except duckdb.CatalogException:
            return
    if rows:
        grades = ", ".join(f"{grade} {count:,}" for grade, count, *_ in rows)
        _, _, name, version, method = rows[0]
        log.info("")
        log.info("Lead scores for %s (ml.lead_scores): %s; from %s v%s (%s).",
                 business_date, grades, name, version, method)  # fmt: skip
        log.info("  Runs, plots and aliases: salespipe models ui  (MLflow, %s)",
                 settings.mlflow_tracking_uri)  # fmt: skip
    _print_drift(settings, business_date)
    _print_forecasts(settings, business_date)


def _print_forecasts(settings: Settings, business_date: date) -> None:
    import duckdb

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        try:
            rows = con.execute(
                "select grain, sum(forecast), sum(lower), sum(upper), sum(existing_pipeline), "
                "count(distinct segment), any_value(model_version), any_value(model_alias) "
                "from ml.revenue_forecasts where forecast_date = ? and segment = 'total' "
                "group by grain order by grain desc",
                [business_date],
            ).fetchall()
            segments = con.execute(
                "select count(distinct segment) from ml.revenue_forecasts where forecast_date = ?",
                [business_date],
            ).fetchone()[0]
        except duckdb.CatalogException:
            return
    if not rows:
        return
    log.info("")
    version, alias = rows[0][6], rows[0][7]
    log.info("Revenue forecasts for %s (ml.revenue_forecasts, %d segments) from "
             "revenue_forecast v%s (%s):", business_date, segments, version, alias)  # fmt: skip
    for grain, forecast, lower, upper, pipeline, *_ in rows:
        horizon = "next 13 weeks" if grain == "week" else "next 6 months"
        log.info("  %s, total: %s (80%% interval per period summed: %s to %s); "
                 "existing pipeline %s", horizon, f"{forecast:,.0f}", f"{lower:,.0f}",
                 f"{upper:,.0f}", f"{pipeline:,.0f}")  # fmt: skip


def _print_drift(settings: Settings, business_date: date) -> None:
    import duckdb

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        try:
            run = con.execute(
                "select drifted_features, features, prediction_drift_score, alerts, "
                "retraining_requested, suppressed_by_cooldown, report_path, note "
                "from monitoring.drift_runs where run_date = ? and model_name = 'lead_scoring'",
                [business_date],
            ).fetchone()
        except duckdb.CatalogException:
            return
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


def _info(args: argparse.Namespace, settings: Settings) -> None:
    info = settings.as_info()
    if not settings.home.exists():
        from ml.cli_state import where_salespipe_looked

        print(
            f"Nothing is kept at {settings.home} yet (`salespipe demo` or `salespipe run` "
            "fills it). " + where_salespipe_looked(settings),
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(info, indent=2))
        return
    width = max(map(len, info))
    for key, value in info.items():
        print(f"{key:<{width}}  {value}")


def _airflow(args: argparse.Namespace, settings: Settings) -> int:
    import subprocess

    from ml.access import ensure_airflow_password
    from ml.airflow_cli import airflow_command, airflow_environment

    if args.airflow_args[:1] == ["standalone"]:
        return _airflow_standalone(args.airflow_args[1:], settings)
    _require_airflow_home(settings)
    ensure_airflow_password(settings)  # 600, and Airflow does not print it (ml.access)
    return subprocess.call(airflow_command(*args.airflow_args), env=airflow_environment(settings))


def _require_airflow_home(settings: Settings) -> None:
    from ml.cli_state import require_state

    require_state(
        settings,
        settings.airflow_home,
        "there are no runs to show; `salespipe demo` or `salespipe run` makes them",
    )


def _airflow_standalone(argv: list[str], settings: Settings) -> int:
    """salespipe's own `standalone`: every component from this venv, on 127.0.0.1, all
    stopped together (see ml/airflow_local.py)."""
    from ml.airflow_local import run_standalone

    parser = argparse.ArgumentParser(
        prog="salespipe airflow standalone",
        description="Airflow's API server, scheduler, DAG processor and triggerer on this "
        "install's state, on 127.0.0.1; Ctrl-C or SIGTERM stops them all",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--port", type=int, default=8080, help="port of the UI on 127.0.0.1")
    options = parser.parse_args(argv)
    _require_airflow_home(settings)
    return run_standalone(settings, port=options.port, say=lambda line: print(line, flush=True))


if __name__ == "__main__":
    sys.exit(main())
