"""The ``serving`` section of ``salespipe.yml``: where the scoring API listens and its limits.

Tokens may be listed here (``tokens: [...]``) or given in ``SALESPIPE_API_TOKENS``
(comma-separated, read by :mod:`ml.settings`); both sets are accepted. None is built in.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServingConfig:
    """How ``salespipe serve`` runs."""

    # 127.0.0.1: only this machine. A container sets 0.0.0.0 (docker-compose.yml).
    host: str = "127.0.0.1"
    port: int = 8000
    # Bearer tokens accepted besides SALESPIPE_API_TOKENS.
    tokens: tuple[str, ...] = ()
    # A request body larger than this gets 413 before it is parsed.
    max_body_bytes: int = 5_000_000
    # Leads per request (a batch); more gets 422.
    max_leads: int = 5_000
    # Deals per request (a batch); more gets 422.
    max_opportunities: int = 5_000
    # Seconds between two looks at lead_scoring@champion; a moved alias is loaded then.
    reload_poll_seconds: float = 30.0
    # Seconds between two writes of the online inputs to monitoring.online_lead_inputs.
    log_flush_seconds: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be 1-65535, got {self.port}")
        if min(self.max_body_bytes, self.max_leads, self.max_opportunities) < 1:
            raise ValueError("max_body_bytes, max_leads and max_opportunities must be positive")
        if self.reload_poll_seconds <= 0 or self.log_flush_seconds <= 0:
            raise ValueError("reload_poll_seconds and log_flush_seconds must be positive")
