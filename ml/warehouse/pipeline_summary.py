"""The pipeline part of the run summary: the deals most at risk, last week's pipeline
waterfall and the weighted pipeline by period, read from a published night.

Each reader takes the run summary's one read-only connection (``summary.read_night_summary``)
and returns None when the night has no such table (a leads-only export, deal scoring
switched off), so the summary leaves that part out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

# The waterfall's steps in the order they add up, with their sign and the mart's column:
# start + new + increase - decrease - won - lost - moved_out + moved_in = end
WATERFALL_STEPS = (
    ("new", +1, "new_amount"),
    ("increases", +1, "increase_amount"),
    ("decreases", -1, "decrease_amount"),
    ("won", -1, "won_amount"),
    ("lost", -1, "lost_amount"),
    ("pushed out", -1, "moved_out_amount"),
    ("pulled in", +1, "moved_in_amount"),
)


@dataclass(frozen=True)
class Waterfall:
    """How one period's pipeline moved over a week (``marts.pipeline_flow``, comparison
    'week'): the amount and number of deals at the start, of each step, and at the end."""

    snapshot_date: date
    compared_with_date: date
    grain: str  # quarter
    period_start: date
    start: tuple[float, int]
    steps: tuple[tuple[str, int, float, int], ...]  # (name, sign, amount, deals)
    end: tuple[float, int]

    @property
    def difference(self) -> float:
        """end minus what the steps add up to (0 to the cent: the mart reconciles)."""
        total = self.start[0] + sum(sign * amount for _, sign, amount, _ in self.steps)
        return self.end[0] - total


@dataclass(frozen=True)
class WeightedPeriod:
    """The open deals expected to close in one month: sum of amount x win probability."""

    period_start: date | None  # None: deals without an expected close period
    deals: int
    amount: float
    expected_value: float


def read_deals_at_risk(
    con: duckdb.DuckDBPyConnection, business_date: date, top: int = 5
) -> list[tuple] | None:
    """The ``top`` open deals most at risk on ``business_date`` (highest slip probability,
    then amount, then id): (opportunity_id, win_probability, slip_probability,
    scoring_method, amount, top_factors JSON). None without ``ml.opportunity_scores``."""
    return all_rows(
        con,
        "select s.opportunity_id, s.win_probability, s.slip_probability, s.scoring_method, "
        "f.amount_in_default_currency, s.top_factors from ml.opportunity_scores s "
        "left join marts.opportunity_features f on f.opportunity_id = s.opportunity_id "
        "and f.as_of_date = s.score_date where s.score_date = ? "
        "order by s.slip_probability desc, f.amount_in_default_currency desc nulls last, "
        "s.opportunity_id limit ?",
        [business_date, top],
    )


def read_waterfall(
    con: duckdb.DuckDBPyConnection, business_date: date, grain: str = "quarter"
) -> Waterfall | None:
    """The week-over-week waterfall of the ``grain`` (month or quarter) that holds
    ``business_date``, over the deals whose close date falls in it. None without
    ``marts.pipeline_flow`` or without a row of that period (no deal in its pipeline)."""
    amounts = ", ".join(
        f"sum({column}), count(*) filter (where {column} <> 0)" for *_, column in WATERFALL_STEPS
    )
    row = first_row(
        con,
        "select any_value(compared_with_date), any_value(period_start), "
        "sum(start_amount), count(*) filter (where start_amount <> 0), "
        f"{amounts}, sum(end_amount), count(*) filter (where end_amount <> 0) "
        "from marts.pipeline_flow where snapshot_date = ? and comparison = 'week' "
        "and grain = ? and period_start = date_trunc(?, ?::date) having count(*) > 0",
        [business_date, grain, grain, business_date],
    )
    if row is None:
        return None
    compared_with, period, start, start_deals, *rest = row
    steps = tuple(
        (name, sign, float(rest[2 * i]), int(rest[2 * i + 1]))
        for i, (name, sign, _) in enumerate(WATERFALL_STEPS)
    )
    end, end_deals = rest[-2:]
    return Waterfall(
        business_date, compared_with, grain, period, (float(start), int(start_deals)), steps,
        (float(end), int(end_deals)),
    )  # fmt: skip


def read_weighted_pipeline(
    con: duckdb.DuckDBPyConnection, business_date: date
) -> list[WeightedPeriod] | None:
    """The deals scored on ``business_date`` by expected close period (earliest first,
    deals without one last): how many, their amount and their expected value (amount x
    win probability). None without ``ml.opportunity_scores``."""
    rows = all_rows(
        con,
        "select s.expected_close_period, count(*), "
        "coalesce(sum(f.amount_in_default_currency), 0), coalesce(sum(s.expected_value), 0) "
        "from ml.opportunity_scores s left join marts.opportunity_features f "
        "on f.opportunity_id = s.opportunity_id and f.as_of_date = s.score_date "
        "where s.score_date = ? group by 1 order by 1 nulls last",
        [business_date],
    )
    if rows is None:
        return None
    return [WeightedPeriod(p, int(n), float(a), float(e)) for p, n, a, e in rows]


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row, or None when there is none or the table does not exist (a night
    that has not made it yet)."""
    try:
        return con.execute(sql, params or []).fetchone()
    except duckdb.CatalogException:
        return None


def all_rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[tuple] | None:
    """Every row, or None when the table does not exist."""
    try:
        return con.execute(sql, params).fetchall()
    except duckdb.CatalogException:
        return None
