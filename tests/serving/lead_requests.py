"""What the serving tests share: the night's date and the API token they use."""

from __future__ import annotations

from datetime import date

from ml.serving.examples import request_for

BUSINESS_DATE = date(2024, 7, 18)  # the serving tests' night: day 200 from 2024-01-01
TOKEN = "test-token-1"

__all__ = ["BUSINESS_DATE", "TOKEN", "request_for"]
