"""What the serving tests share: the night's date and the API token they use."""

from __future__ import annotations

from nights import BUSINESS_DATE  # the shared night's (tests/nights.py): day 200

from ml.serving.examples import deal_request_for, request_for

TOKEN = "test-token-1"

__all__ = ["BUSINESS_DATE", "TOKEN", "deal_request_for", "request_for"]
