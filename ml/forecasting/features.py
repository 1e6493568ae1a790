"""From the ``daily_revenue`` mart to the weekly and monthly series the models see.

A :class:`SeriesSet` holds, per grain, one column per segment (``total``,
``region:<v>``, ``product:<v>``, ``rep:<id>``, ``rep:other``) and one row per *complete*
period up to ``as_of``: a week (Monday to Sunday) or month not over by ``as_of`` is not
history, nor is a first period the data only partly covers.

**Reps.** A rep is a segment of its own only with ``rep_min_history_weeks`` of history
since their first win and a win in the last ``rep_active_weeks``; everyone else (new,
departed, or inactive reps) is pooled into ``rep:other``, so the rep hierarchy still
sums to the total.

**Status.** Every series gets a status and a reason: ``ok`` (modelled, champion chosen by
backtest); ``short`` (fewer than ``min_history`` periods since its first win) and
``sparse`` (more than ``max_zero_share`` of the last season's periods without revenue),
which both use the documented fallback, the calendar-adjusted run rate of the last year
(the expected value, not the zero a median would give); ``no_history`` (never won a
deal: forecast 0, said so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ml.forecasting import calendar
from ml.forecasting.config import GRAINS, ForecastConfig

TOTAL = "total"
OTHER_REPS = "rep:other"
STATUS_COLUMNS = ["grain", "segment", "level", "status", "reason", "history_periods", "zero_share"]


@dataclass(frozen=True, eq=False)
class SeriesSet:
    """Revenue per complete period and segment, for each grain, as of one day."""

    as_of: date
    values: dict[str, pd.DataFrame]  # grain -> index period_start, one column per segment
    status: pd.DataFrame  # STATUS_COLUMNS, one row per grain x segment
    daily_total: pd.Series  # total revenue per day up to as_of: the calendar profile's data
    pooled_reps: tuple[str, ...] = field(default=())  # rep ids inside rep:other

    def frame(self, grain: str) -> pd.DataFrame:
        """The ``period_start x segment`` revenue table of one grain."""
        return self.values[grain]

    def segment_status(self, grain: str) -> pd.Series:
        """Status per segment of one grain."""
        rows = self.status[self.status["grain"] == grain]
        return rows.set_index("segment")["status"]

    def rep_segment(self, rep_id: str) -> str:
        """The segment a rep's revenue lands in: its own, or ``rep:other``."""
        own = f"rep:{rep_id}"
        return own if own in self.values[GRAINS[0]].columns else OTHER_REPS


def level_of(segment: str) -> str:
    """``total``, ``region``, ``product`` or ``rep`` for a segment name."""
    return segment.split(":", 1)[0]


def missing_revenue_history(daily_revenue: pd.DataFrame, as_of: date) -> str | None:
    """Why there is nothing to forecast from on ``as_of``, or None when there is.

    An export with leads only, or deals but no won ones, has no revenue history: the
    forecasting stage is then skipped with this reason instead of failing the night.
    """
    dates = pd.to_datetime(daily_revenue["revenue_date"]).dt.date
    known = daily_revenue.loc[dates <= as_of]
    if known.empty:
        return f"no revenue data on or before {as_of}"
    won = pd.to_numeric(known["won_amount"], errors="coerce").fillna(0.0)
    if not (won > 0).any():
        return f"no won revenue on or before {as_of}"
    first = pd.to_datetime(known["revenue_date"]).min().date()
    if (as_of - first).days < 7:
        return f"less than one complete week of revenue on or before {as_of} (since {first})"
    return None


def build_series(daily_revenue: pd.DataFrame, config: ForecastConfig, *, as_of: date) -> SeriesSet:
    """Aggregate the daily mart to complete weeks and months per segment.

    Takes ``daily_revenue`` (revenue_date, region, product, owner_rep_id, won_amount)
    and uses only rows on or before ``as_of``. Missing days count as zero revenue.

    Raises:
        ValueError: no revenue rows on or before ``as_of``, or no complete week.
    """
    frame = daily_revenue.loc[pd.to_datetime(daily_revenue["revenue_date"]).dt.date <= as_of]
    if frame.empty:
        raise ValueError(f"daily_revenue has no rows on or before {as_of}")
    frame = frame.assign(
        revenue_date=pd.to_datetime(frame["revenue_date"]),
        won_amount=pd.to_numeric(frame["won_amount"], errors="coerce").astype(float).fillna(0.0),
    )
    for column in ("region", "product", "owner_rep_id"):
        frame[column] = frame[column].fillna("unknown").astype(str)
    own_reps = _own_reps(frame, config, as_of) if config.rep_segments else set()
    days = pd.date_range(frame["revenue_date"].min(), pd.Timestamp(as_of), freq="D")
    daily = {TOTAL: frame.groupby("revenue_date")["won_amount"].sum()}
    for level, column in (("region", "region"), ("product", "product"), ("rep", "owner_rep_id")):
        if level == "rep" and not config.rep_segments:
            continue
        keys = frame[column]
        if level == "rep":
            keys = np.where(keys.isin(own_reps), "rep:" + keys, OTHER_REPS)
        else:
            keys = level + ":" + keys
        sums = frame.groupby(["revenue_date", keys])["won_amount"].sum().unstack(fill_value=0.0)
        daily.update({name: sums[name] for name in sorted(sums.columns)})
    table = pd.DataFrame(daily).reindex(days, fill_value=0.0).fillna(0.0)
    values = {grain: _complete_periods(table, grain, as_of) for grain in GRAINS}
    if values["week"].empty:
        raise ValueError(f"no complete week of revenue on or before {as_of}")
    pooled = tuple(sorted(set(frame["owner_rep_id"]) - own_reps)) if config.rep_segments else ()
    status = pd.concat([_status(values[g], g, config, pooled) for g in GRAINS], ignore_index=True)
    return SeriesSet(as_of, values, status, table[TOTAL].rename("won_amount"), pooled)


def market_covariates(market_indicators_daily: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Mean of each market indicator per period (index ``period_start``, column per indicator).

    Periods that are not over yet are included with the days seen so far; the models only
    read periods up to their forecast origin. An empty input gives an empty frame.
    """
    if market_indicators_daily.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="period_start"))
    starts = period_starts(pd.DatetimeIndex(market_indicators_daily["indicator_date"]), grain)
    table = (
        market_indicators_daily.assign(period_start=starts)
        .groupby(["period_start", "indicator"])["indicator_value"]
        .mean()
        .unstack("indicator")
        .sort_index()
    )
    table.columns.name = None
    return table.ffill()


def period_starts(days: pd.DatetimeIndex, grain: str) -> pd.DatetimeIndex:
    """The start of the week (Monday) or month of each day, vectorised."""
    if grain == "week":
        starts = days.normalize() - pd.to_timedelta(days.dayofweek, unit="D")
    else:
        starts = days.to_period("M").start_time
    return pd.DatetimeIndex(starts, name="period_start")


def _own_reps(frame: pd.DataFrame, config: ForecastConfig, as_of: date) -> set[str]:
    won = frame.loc[frame["won_amount"] > 0].groupby("owner_rep_id")["revenue_date"]
    first, last = won.min(), won.max()
    old_enough = first <= pd.Timestamp(as_of - timedelta(weeks=config.rep_min_history_weeks))
    active = last > pd.Timestamp(as_of - timedelta(weeks=config.rep_active_weeks))
    return set(first.index[old_enough & active]) - {"unknown"}


def _complete_periods(daily: pd.DataFrame, grain: str, as_of: date) -> pd.DataFrame:
    summed = daily.groupby(period_starts(daily.index, grain)).sum()
    first_day = daily.index[0].date()
    last = calendar.first_open_period(as_of, grain)
    keep = summed.index >= pd.Timestamp(calendar.period_start(first_day, grain))
    keep &= summed.index < pd.Timestamp(last)
    if calendar.period_start(first_day, grain) != first_day:  # first period only partly seen
        keep &= summed.index > pd.Timestamp(first_day)
    out = summed.loc[keep]
    out.index.name = "period_start"
    return out


def _status(
    values: pd.DataFrame, grain: str, config: ForecastConfig, pooled: tuple[str, ...]
) -> pd.DataFrame:
    rows = []
    min_history = config.per_grain("min_history", grain)
    season = config.per_grain("season_length", grain)
    for segment in values.columns:
        y = values[segment].to_numpy()
        nonzero = np.flatnonzero(y > 0)
        history = len(y) - nonzero[0] if len(nonzero) else 0
        recent = y[len(y) - min(season, history) :] if history else y[:0]
        zero_share = float(np.mean(recent <= 0)) if len(recent) else 1.0
        if len(y) == 0:
            status, reason = "no_history", f"no complete {grain} of data yet: forecast is 0"
        elif history == 0:
            status, reason = "no_history", "no closed-won revenue yet: forecast is 0"
        elif history < min_history:
            status = "short"
            reason = (
                f"{history} {grain}s since the first win, {min_history} needed: run-rate fallback"
            )
        elif zero_share > config.max_zero_share:
            status = "sparse"
            reason = (
                f"{zero_share:.0%} of the last {len(recent)} {grain}s had no revenue "
                f"(limit {config.max_zero_share:.0%}): run-rate fallback"
            )
        else:
            status, reason = "ok", "modelled; champion chosen by backtest"
        if segment == OTHER_REPS:
            reason += f" (pools {len(pooled)} reps with short or inactive history)"
        rows.append((grain, segment, level_of(segment), status, reason, history, zero_share))
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)
