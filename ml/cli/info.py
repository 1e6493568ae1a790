"""``salespipe info``: where everything lives."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from ml.settings import Settings


def add_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """Add ``salespipe info`` through the main parser's ``command(name, help)``."""
    info = command("info", "print where everything lives")
    info.add_argument("--json", action="store_true", help="print one JSON object instead")
    info.set_defaults(handler=_info)


def _info(args: argparse.Namespace, settings: Settings) -> None:
    info = settings.as_info()
    if not settings.home.exists():
        from ml.cli.state import where_salespipe_looked

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
