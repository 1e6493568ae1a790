"""``salespipe models``: list versions, train on demand, roll back, open the MLflow UI.

Promotion by hand is done in the MLflow UI by moving a version's ``champion`` alias; the
next scoring run uses it and records the move in ``monitoring.model_promotions``.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from pathlib import Path

from ml.settings import Settings

log = logging.getLogger("salespipe")

# use case -> (registered model, on-demand training DAG)
USE_CASES = {
    "lead_scoring": ("lead_scoring", "on_demand_lead_model_training"),
    "revenue_forecast": ("revenue_forecast", "on_demand_revenue_model_training"),
}


class WarehouseBusyError(RuntimeError):
    """Another process (a nightly run) holds the working warehouse."""


def add_models_parser(commands, iso_date) -> None:
    """Register ``salespipe models ...`` on the main parser's sub-commands."""
    models = commands.add_parser("models", help="list, train, roll back models; the MLflow UI")
    actions = models.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="versions, aliases and gate decisions")
    listing.add_argument("use_case", choices=sorted(USE_CASES))
    listing.set_defaults(handler=_list)
    rollback = actions.add_parser("rollback", help="move champion back to the previous one")
    rollback.add_argument("use_case", choices=sorted(USE_CASES))
    rollback.add_argument("--reason", help="why, for monitoring.model_promotions")
    rollback.set_defaults(handler=_rollback)
    train = actions.add_parser("train", help="train now through Airflow (then the gate)")
    train.add_argument("use_case", choices=sorted(USE_CASES))
    train.add_argument("--date", type=iso_date, required=True, dest="business_date")
    train.set_defaults(handler=_train)
    ui = actions.add_parser("ui", help="the MLflow UI on this install's store (127.0.0.1)")
    ui.add_argument("--port", type=int, default=5000)
    ui.set_defaults(handler=_ui)


def _list(args: argparse.Namespace, settings: Settings) -> None:
    from ml.registry.tracking import configure_mlflow

    configure_mlflow(settings)
    import mlflow

    name = USE_CASES[args.use_case][0]
    client = mlflow.MlflowClient()
    versions = client.search_model_versions(f"name = '{name}'", order_by=["version_number DESC"])
    if not versions:
        log.info("No version of %s yet: run `salespipe run --date YYYY-MM-DD` first.", name)
        return
    # search results carry no aliases; the registered model has them all
    by_version: dict[str, list[str]] = {}
    for alias, number in client.get_registered_model(name).aliases.items():
        by_version.setdefault(str(number), []).append(alias)
    for version in versions:
        aliases = ",".join(sorted(by_version.get(str(version.version), []))) or "-"
        tags = version.tags
        quality = (
            f"AUC {tags.get('holdout_auc', '?')}  ECE {tags.get('holdout_ece', '?')}"
            if "holdout_auc" in tags
            else f"MASE {tags.get('backtest_mase', '?')}  "
            f"80% cover {tags.get('backtest_coverage_80', '?')}"
        )
        log.info(
            "%s v%-4s %-22s %s  %s  | %s",
            name, version.version, aliases, quality, tags.get("training_window", ""),
            tags.get("gate_decision", ""),
        )  # fmt: skip


def _rollback(args: argparse.Namespace, settings: Settings) -> None:
    import duckdb

    from ml.nightly import published_business_date
    from ml.registry.aliases import rollback_champion
    from ml.registry.tracking import configure_mlflow
    from ml.warehouse.steps import republish_for_readers

    configure_mlflow(settings)
    import mlflow

    name = USE_CASES[args.use_case][0]
    if not settings.work_warehouse.exists():
        raise FileNotFoundError(
            f"No warehouse at {settings.work_warehouse}, so no {name} champion to roll back: "
            "run `salespipe run --date YYYY-MM-DD` first."
        )
    try:
        with duckdb.connect(str(settings.work_warehouse)) as con:
            old, new = rollback_champion(mlflow.MlflowClient(), con, name, args.reason)
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        raise WarehouseBusyError(
            f"The working warehouse is busy (a nightly run holds it): {exc}. Try again later."
        ) from exc
    log.info("%s@champion moved back from version %s to %s.", name, old, new)
    business_date = published_business_date(settings)
    if business_date is not None:
        republish_for_readers(business_date, settings)
        log.info("monitoring.model_promotions republished; the next scoring run uses v%s.", new)


def _train(args: argparse.Namespace, settings: Settings) -> None:
    from ml.airflow_cli import migrate_metadata_db, run_dag_for_date
    from ml.run_lock import hold_run_lock, new_run_id

    dag_id = USE_CASES[args.use_case][1]
    run_id = new_run_id(args.business_date)
    # A training writes the same stores as a night: one at a time per install.
    with hold_run_lock(settings, args.business_date, run_id) as lock:
        migrate_metadata_db(settings)
        log_file = lock.log_dir / f"{dag_id}.log"
        log.info("Running DAG %s for %s (log: %s) ...", dag_id, args.business_date, log_file)
        run_dag_for_date(
            settings,
            dag_id,
            args.business_date,
            log_file=log_file,
            progress=lambda line: log.info("  | %s", line[:200]),
            conf={"business_date": args.business_date.isoformat()},
            pass_fds=(lock.fd,),
        )
    _list(args, settings)


def _ui(args: argparse.Namespace, settings: Settings) -> int:
    from ml.registry.tracking import configure_mlflow

    configure_mlflow(settings)
    command = [
        str(Path(sys.executable).with_name("mlflow")), "ui",
        "--backend-store-uri", settings.mlflow_tracking_uri,
        "--default-artifact-root", settings.mlflow_artifacts.as_uri(),
        "--host", "127.0.0.1", "--port", str(args.port), "--workers", "1",
    ]  # fmt: skip
    log.info("MLflow UI on http://127.0.0.1:%d (Ctrl-C to stop)", args.port)
    return subprocess.call(command)
