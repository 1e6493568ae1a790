"""The ``salespipe`` command (CONTRACT §2)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from ml.access import secure_home
from ml.audit import audited
from ml.cli import airflow_commands, generate, info, ingest, models, privacy, run, serve
from ml.cli.common import HelpFormatter, UsageError
from ml.forecasting.config import forecast_config
from ml.lead_scoring.config import lead_scoring_config
from ml.monitoring.config import drift_config
from ml.settings import HOME_VAR, load_settings

__all__ = ["HelpFormatter", "UsageError", "main"]

# One module per command group, in the order `salespipe --help` lists them.
_GROUPS = (generate, ingest, run, info, airflow_commands, models, privacy, serve)


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
    from ml.cli.models import WarehouseBusyError
    from ml.cli.state import MissingStateError
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

    for group in _GROUPS:
        group.add_parser(command)
    return parser


if __name__ == "__main__":
    sys.exit(main())
