"""``salespipe models``: list versions, train on demand, promote or roll back, the MLflow UI.

Promotion by hand: ``salespipe models promote`` (who and why kept on the version), or
moving a version's ``champion`` alias in the MLflow UI; the next run uses it and records
the move in ``monitoring.model_promotions``. A version that failed its gate is accepted
as champion only with an approval (tags ``approved_by`` and ``approval_reason``);
without one the next run puts the alias back and records the refusal.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from contextlib import contextmanager

from ml import names
from ml.cli.common import HelpFormatter, iso_date, log
from ml.settings import Settings

# use case -> (registered model, on-demand training DAG; None: trained by its nightly DAG only)
USE_CASES = {
    names.LEAD_SCORING: (names.LEAD_SCORING, names.LEAD_TRAINING_DAG),
    names.REVENUE_FORECAST: (names.REVENUE_FORECAST, names.REVENUE_TRAINING_DAG),
    names.OPPORTUNITY_SCORING: (names.OPPORTUNITY_SCORING, None),
}
TRAINABLE = sorted(use_case for use_case, (_, dag) in USE_CASES.items() if dag is not None)


class WarehouseBusyError(RuntimeError):
    """Another process (a nightly run) holds the working warehouse."""


@contextmanager
def warehouse_lock_is_busy(advice: str):
    """Say "busy" when a nightly run holds the working warehouse's lock."""
    import duckdb

    try:
        yield
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        raise WarehouseBusyError(
            f"The working warehouse is busy (a nightly run holds it): {exc}. {advice}"
        ) from exc


def add_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """Add ``salespipe models ...`` through the main parser's ``command(name, help)``."""

    def parser(where, name: str, help: str) -> argparse.ArgumentParser:
        return where.add_parser(name, help=help, description=help, formatter_class=HelpFormatter)

    models = command("models", "list, train, roll back models; the MLflow UI")
    actions = models.add_subparsers(dest="action", required=True)
    use_case_help = "which model: " + " or ".join(sorted(USE_CASES))
    listing = parser(actions, "list", "versions, aliases and gate decisions")
    listing.add_argument("use_case", choices=sorted(USE_CASES), help=use_case_help)
    listing.set_defaults(handler=_list)
    rollback = parser(actions, "rollback", "move champion back to the previous one")
    rollback.add_argument("use_case", choices=sorted(USE_CASES), help=use_case_help)
    rollback.add_argument(
        "--reason",
        help="why, recorded in monitoring.model_promotions (default: none recorded)",
    )
    rollback.set_defaults(handler=_rollback)
    promote = parser(
        actions, "promote", "make a version champion by hand, with who and why (even gate-failed)"
    )
    promote.add_argument("use_case", choices=sorted(USE_CASES), help=use_case_help)
    promote.add_argument("--version", required=True, help="the version number to promote")
    promote.add_argument("--reason", required=True, help="why; kept on the version and logged")
    promote.set_defaults(handler=_promote)
    train = parser(
        actions,
        "train",
        "train now through Airflow (then the gate); the deal model trains in its nightly "
        "run when due (docs/deal-scoring.md)",
    )
    train.add_argument("use_case", choices=TRAINABLE, help="which model: " + " or ".join(TRAINABLE))
    train.add_argument(
        "--date",
        type=iso_date,
        required=True,
        dest="business_date",
        help="the business date (YYYY-MM-DD) to train as of",
    )
    train.set_defaults(handler=_train)
    ui = parser(actions, "ui", "the MLflow UI on this install's store (127.0.0.1, with a login)")
    ui.add_argument("--port", type=int, default=5000, help="port on 127.0.0.1")
    ui.set_defaults(handler=_ui)


def _list(args: argparse.Namespace, settings: Settings) -> None:
    from ml.cli.state import require_model_store
    from ml.registry.steps import model_versions

    require_model_store(settings, "there is no model to list")
    name = USE_CASES[args.use_case][0]
    versions = model_versions(name, settings)
    if not versions:
        log.info("No version of %s yet: run `salespipe run --date YYYY-MM-DD` first.", name)
        return
    for version, aliases, tags in versions:
        quality = (
            _deal_quality(tags)
            if "holdout_stage_rate_auc" in tags
            else _lead_quality(tags)
            if "holdout_auc" in tags
            else f"MASE {tags.get('backtest_mase', '?')}  "
            f"80% cover {tags.get('backtest_coverage_80', '?')}"
        )
        log.info(
            "%s v%-4s %-22s %s  %s  | %s",
            name, version, ",".join(sorted(aliases)) or "-", quality,
            tags.get("training_window", ""), tags.get("gate_decision", ""),
        )  # fmt: skip


def _lead_quality(tags: dict[str, str]) -> str:
    """``per-lead AUC 0.712 (age 0: 0.690, 7: 0.705, 30: 0.741; scored 0.802)  ECE 0.012
    split time_ordered``: the figures a user sees on new leads, each lead judged once."""
    points = sorted(
        (int(key.rsplit("_", 1)[1]), value)
        for key, value in tags.items()
        if key.startswith("holdout_auc_at_age_")
    )
    detail = ", ".join(f"{age}: {value}" for age, value in points)
    if "holdout_auc_scored_population" in tags:
        detail += f"; scored {tags['holdout_auc_scored_population']}"
    label = "per-lead AUC" if points else "AUC"
    return (
        f"{label} {tags.get('holdout_auc', '?')}"
        + (f" (age {detail})" if detail else "")
        + f"  ECE {tags.get('holdout_ece', '?')}  split {tags.get('split_method', '?')}"
    )


def _deal_quality(tags: dict[str, str]) -> str:
    """``AUC 0.7450 (stage win rates 0.6760)  ECE 0.1036  estimator logistic``: the deal
    model's holdout figures against the stage win rates it replaces, on the same snapshots."""
    return (
        f"AUC {tags.get('holdout_auc', '?')} (stage win rates "
        f"{tags.get('holdout_stage_rate_auc', '?')})  ECE {tags.get('holdout_ece', '?')}  "
        f"estimator {tags.get('estimator', '?')}"
    )


def _rollback(args: argparse.Namespace, settings: Settings) -> None:
    from ml.cli.state import require_model_store
    from ml.registry.steps import republish_promotions, roll_back

    require_model_store(settings, "there is no champion to roll back")
    name = USE_CASES[args.use_case][0]
    with warehouse_lock_is_busy("Try again later."):
        old, new = roll_back(name, args.reason, settings.mlflow_username, settings)
    log.info("%s@champion moved back from version %s to %s.", name, old, new)
    if republish_promotions(settings):
        log.info("monitoring.model_promotions republished; the next scoring run uses v%s.", new)


def _promote(args: argparse.Namespace, settings: Settings) -> None:
    import getpass

    from ml.registry.steps import promote, republish_promotions

    name = USE_CASES[args.use_case][0]
    with warehouse_lock_is_busy("Try again later."):
        old = promote(name, str(args.version), args.reason, getpass.getuser(), settings)
    moved = f"moved from version {old} to" if old else "set (there was none) to version"
    log.info("%s@champion %s %s, approved by %s: %s",
             name, moved, args.version, getpass.getuser(), args.reason)  # fmt: skip
    if republish_promotions(settings):
        log.info("monitoring.model_promotions republished; the next run uses v%s.", args.version)


def _train(args: argparse.Namespace, settings: Settings) -> None:
    from ml.cli.state import require_state
    from ml.nightly import run_training

    require_state(settings, settings.work_warehouse, "there are no marts to train on")
    dag_id = USE_CASES[args.use_case][1]
    assert dag_id is not None  # `train` offers only TRAINABLE use cases
    run_training(
        settings,
        dag_id,
        args.business_date,
        progress=lambda line: log.info("  | %s", line[:200]),
    )
    _list(args, settings)


def _ui(args: argparse.Namespace, settings: Settings) -> int:
    from ml.cli.state import require_model_store
    from ml.processes import serve_until_stopped
    from ml.registry.ui import ADMIN, HOST, admin_password_file, ui_server

    if settings.mlflow_is_remote:
        log.info("This install uses the tracking server %s: open it in a browser and log in.",
                 settings.mlflow_tracking_uri)  # fmt: skip
        return 0
    require_model_store(settings, "there are no runs or models to show")
    command, env = ui_server(settings, args.port)
    log.info(
        "MLflow UI on http://%s:%d  user %s, password in %s (Ctrl-C stops it)",
        HOST, args.port, ADMIN, admin_password_file(settings),
    )  # fmt: skip
    return serve_until_stopped({"mlflow": (command, env)}, say=lambda line: print(line, flush=True))
