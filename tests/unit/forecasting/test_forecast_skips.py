"""A night with nothing to forecast from skips forecasting and says why, never fails."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ml.forecasting.features import missing_revenue_history
from ml.forecasting.steps import forecast_revenue
from ml.settings import load_settings
from ml.warehouse.runs import skipped_stages


def revenue(days: int, amount: float = 100.0) -> pd.DataFrame:
    dates = pd.date_range("2025-01-01", periods=days, freq="D")
    return pd.DataFrame({"revenue_date": dates.date, "won_amount": [amount] * days})


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (revenue(0), "no revenue data on or before 2025-03-01"),
        (revenue(60, 0.0), "no won revenue on or before 2025-03-01"),
        (
            revenue(60).assign(revenue_date=pd.Timestamp("2025-02-27").date()),
            "less than one complete week of revenue on or before 2025-03-01 (since 2025-02-27)",
        ),
        (revenue(60), None),
    ],
)
def test_missing_revenue_history(frame: pd.DataFrame, expected: str | None) -> None:
    assert missing_revenue_history(frame, date(2025, 3, 1)) == expected


def test_revenue_after_the_business_date_does_not_count() -> None:
    assert missing_revenue_history(revenue(60), date(2024, 12, 31)) == (
        "no revenue data on or before 2024-12-31"
    )


def test_forecasting_switched_off_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SALESPIPE_HOME", str(tmp_path))
    (tmp_path / "salespipe.yml").write_text("forecasting:\n  enabled: false\n")
    settings = load_settings()
    outcome = forecast_revenue(date(2025, 3, 1), settings)
    assert outcome.rows == 0
    assert outcome.skipped == "switched off (forecasting.enabled is false)"
    with duckdb.connect(str(settings.work_warehouse)) as con:
        # the stage is finished, as skipped, so the night still publishes, and says why
        assert skipped_stages(con, date(2025, 3, 1)) == [
            "forecasting skipped: switched off (forecasting.enabled is false)"
        ]
        assert con.execute(
            "select count(*) from information_schema.tables where table_schema = 'ml'"
        ).fetchone() == (0,)
