"""Fault injection for the test suite: die at a named point, as ``kill -9`` would.

``SALESPIPE_FAULT_POINT=<point>`` makes the process that reaches ``<point>`` send itself
SIGKILL there: no ``finally`` block, no ``atexit`` and no Airflow handler runs, exactly
as when an operator or the OOM killer kills the process. The points are named after the
stage boundary they sit on (``ingest:done``, ``publish:copied``, ...). Unset (always, in
production) it does nothing.
"""

from __future__ import annotations

import logging
import os
import signal

from ml.settings import load_settings

log = logging.getLogger(__name__)


def kill_point(point: str) -> None:
    """SIGKILL this process if ``SALESPIPE_FAULT_POINT`` names ``point``."""
    if load_settings().fault_point == point:
        log.warning("fault injection: killing process %d at %s", os.getpid(), point)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os.kill(os.getpid(), signal.SIGKILL)
