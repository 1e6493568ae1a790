"""What every command group of the ``salespipe`` command shares."""

from __future__ import annotations

import argparse
import logging
from datetime import date

log = logging.getLogger("salespipe")


class UsageError(Exception):
    """Bad input from the user; printed as one paragraph, exit code 2."""


class HelpFormatter(argparse.HelpFormatter):
    """``--help`` that shows every option's default (argparse's own formatter also prints
    "(default: None)" and "(default: False)", which say nothing)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        shown = action.default not in (None, False, argparse.SUPPRESS)
        if shown and action.option_strings and "%(default)" not in text:
            text += " (default: %(default)s)"
        return text


def iso_date(text: str) -> date:
    """An argparse type: a YYYY-MM-DD date, or a message that says what was wrong."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in YYYY-MM-DD form") from None
