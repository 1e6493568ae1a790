"""One accuracy figure per forecast version: the MASE tagged on the version (what
`salespipe models list` shows) is the MASE the promotion gate judges and reports."""

from __future__ import annotations

import pandas as pd

from ml.forecasting.evaluate import choice_mase, forecast_gate, published_scores


def backtest_table() -> pd.DataFrame:
    """Tonight's backtest: the honest ``champion`` rows differ from the in-sample choice."""
    rows = []
    for grain in ("week", "month"):
        for segment, ets, naive, honest in (
            ("total", 0.8, 1.2, 0.95),
            ("region:NA", 1.1, 1.3, 1.2),
        ):
            rows += [
                (grain, segment, "ets", ets, 0.8),
                (grain, segment, "seasonal_naive", naive, 0.8),
                (grain, segment, "champion", honest, 0.8),
            ]
    return pd.DataFrame(rows, columns=["grain", "segment", "model", "mase", "coverage_80"])


def test_the_gate_reports_the_versions_one_mase():
    table = backtest_table()
    mase, naive, coverage = published_scores(table)
    tag = f"{mase:.4f}"  # the version's backtest_mase tag, as `models list` prints it
    first = forecast_gate(
        published_mase=mase, naive_mase=naive, coverage=coverage, champion_mase=None,
        margin=0.0, coverage_band=(0.75, 0.85),
    )  # fmt: skip
    assert first.promote and f"backtest MASE {tag}" in first.reason
    in_sample = choice_mase(
        table,
        pd.DataFrame({"grain": ["week", "month"] * 2,
                      "segment": ["total", "total", "region:NA", "region:NA"],
                      "method": "ets"}),
        {(g, s) for g in ("week", "month") for s in ("total", "region:NA")},
    )  # fmt: skip
    assert f"{in_sample:.4f}" != tag  # the in-sample choice is a second, rosier figure...
    against = forecast_gate(
        published_mase=mase, naive_mase=naive, coverage=coverage, champion_mase=1.0,
        margin=0.0, coverage_band=(0.75, 0.85),
    )  # fmt: skip
    # ...which no longer appears: the gate speaks of the same number as the tag
    assert f"backtest MASE {tag} vs champion 1.0000" in against.reason
    assert f"{in_sample:.4f}" not in against.reason + first.reason
