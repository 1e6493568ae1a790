"""``salespipe airflow ...``: Airflow's own CLI on this install's state, and salespipe's
own ``standalone`` (see ml/airflow_local.py)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ml.cli.common import HelpFormatter
from ml.settings import Settings


def add_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """Add ``salespipe airflow`` through the main parser's ``command(name, help)``."""
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


def _airflow(args: argparse.Namespace, settings: Settings) -> int:
    from ml.airflow_cli import run_airflow

    if args.airflow_args[:1] == ["standalone"]:
        return _airflow_standalone(args.airflow_args[1:], settings)
    _require_airflow_home(settings)
    return run_airflow(settings, args.airflow_args)


def _require_airflow_home(settings: Settings) -> None:
    from ml.cli.state import require_state

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
