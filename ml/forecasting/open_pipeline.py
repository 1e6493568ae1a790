"""Expected revenue from the open pipeline, by expected close period and segment.

Reported next to the run-rate forecast: the run rate says what the business usually
books; this says what the deals already on the table are worth, weighted by how often
deals at their stage have been won.

- **Open at the forecast date** comes from the stage history, not from today's
  snapshot: an opportunity is open if its stage at the end of ``forecast_date`` (the row
  valid then) is not a closed stage. Amount and close date are the ones recorded at
  that time, so a re-run for a past date sees the pipeline as it was.
- **Win probability** is the given per-opportunity value when supplied; otherwise the
  historical win rate of the stage it is in, by value: among deals *closed by the
  forecast date* that passed through the stage, the share of their amount that was won
  (a deal without an amount counts as one of the median amount), shrunk toward the
  overall rate with ``win_rate_prior_deals`` pseudo-deals of the average amount so a
  rarely seen stage does not swing to 0 or 1. By value, because the largest deals lose
  more often: a count rate times the amount overstated the open pipeline's won revenue
  in the backtest (docs/deal-scoring.md, "The forecast uses it").
- **Expected close period** is the period holding the close date; a close date already
  past counts in the first period (the deal is late, not lost). Without a close date
  (some CRMs, e.g. the Maven export, have none for open deals) it is the forecast date
  plus the median remaining time of won deals that had spent at least as long in that
  stage; a deal older than every won deal of its stage is stale and left out (with no
  close date, nothing says it will ever close). When the deal model weighs the pipeline,
  its own ``expected_close_period`` (``ml.opportunity_scores``) is given and replaces
  that rule for the deals it scored. Deals expected after the horizon are left out.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ml.forecasting import calendar
from ml.forecasting.config import GRAINS, ForecastConfig
from ml.forecasting.features import TOTAL, SeriesSet
from ml.modelling.weights import by_amount

PIPELINE_COLUMNS = ["segment", "grain", "period_start", "period_end", "existing_pipeline"]
_DEFAULT_DAYS_TO_CLOSE = 30.0  # no won deal to learn from at all


def pipeline_forecast(
    opportunities: pd.DataFrame,
    stage_history: pd.DataFrame,
    forecast_date: date,
    config: ForecastConfig,
    win_probability: pd.Series | None = None,
    *,
    series: SeriesSet | None = None,
    expected_close: pd.Series | None = None,
) -> pd.DataFrame:
    """Expected revenue of open opportunities per segment, grain and horizon period.

    ``win_probability`` (index ``opportunity_id``, values in [0, 1]) overrides the stage
    rate where given, and ``expected_close`` (index ``opportunity_id``, dates) the
    expected close. ``series`` names the rep segments (reps without their own series
    go to ``rep:other``); without it every rep is its own segment.
    """
    deals = deal_values(
        opportunities, stage_history, forecast_date, config, win_probability, expected_close
    )
    deals["region"] = "region:" + deals["region"]
    deals["product"] = "product:" + deals["product"]
    deals["rep"] = [
        series.rep_segment(r) if series is not None else f"rep:{r}" for r in deals["owner_rep_id"]
    ]
    frames = [_by_period(deals, grain, forecast_date, config, series) for grain in GRAINS]
    return pd.concat(frames, ignore_index=True)[PIPELINE_COLUMNS]


def deal_values(
    opportunities: pd.DataFrame,
    stage_history: pd.DataFrame,
    forecast_date: date,
    config: ForecastConfig,
    win_probability: pd.Series | None = None,
    expected_close: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per deal open at the end of ``forecast_date`` (index ``opportunity_id``):
    ``amount`` then, ``probability`` (``win_probability`` where given, else its stage's
    win rate), ``value`` (their product), expected ``close`` (``expected_close`` where
    given, else the close date or the stage's remaining days; NaT: stale, left out of
    every period), ``region``, ``product``, ``owner_rep_id``."""
    cutoff = pd.Timestamp(forecast_date) + pd.Timedelta(days=1)
    opps = opportunities.set_index("opportunity_id")
    closed_stages = set(opps.loc[opps["is_closed"].fillna(False).astype(bool), "stage"])
    history = stage_history.assign(valid_from=pd.to_datetime(stage_history["valid_from"]))
    history = history[history["valid_from"] < cutoff].sort_values(
        ["opportunity_id", "valid_from", "stage_sequence"]
    )
    rates, prior = _stage_win_rates(opps, history, closed_stages, cutoff, config)
    open_now = _open_at(opps, history, closed_stages, cutoff)
    probability = open_now["stage"].map(rates).fillna(prior)
    if win_probability is not None:
        given = win_probability.reindex(open_now.index)
        probability = given.where(given.notna(), probability)
    durations = _won_durations(opps, history, closed_stages, cutoff)
    remaining = _remaining_days(open_now["stage"], open_now["days_in_stage"], durations)
    inferred = pd.Timestamp(forecast_date) + pd.to_timedelta(remaining, unit="D")
    amount = open_now["amount"].fillna(0.0)
    close = open_now["close_date"].where(open_now["close_date"].notna(), inferred)
    if expected_close is not None:
        given_close = pd.to_datetime(expected_close.reindex(open_now.index))
        close = given_close.where(given_close.notna(), close)
    return pd.DataFrame(
        {
            "amount": amount,
            "probability": probability.clip(0, 1),
            "value": amount * probability.clip(0, 1),
            "close": close,
            "region": open_now["region"],
            "product": open_now["product"],
            "owner_rep_id": open_now["owner_rep_id"],
        }
    )


def _stage_win_rates(
    opps: pd.DataFrame,
    history: pd.DataFrame,
    closed: set[str],
    cutoff: pd.Timestamp,
    config: ForecastConfig,
) -> tuple[dict[str, float], float]:
    closed_at = pd.to_datetime(opps["closed_at"])
    done = opps[opps["is_closed"].fillna(False).astype(bool) & (closed_at < cutoff)]
    if done.empty:
        return {}, 0.5  # no closed deal yet: uninformative
    won = done["is_won"].fillna(False).astype(bool)
    weight = pd.Series(by_amount(done["amount_in_default_currency"]), index=done.index)
    prior = float((won * weight).sum() / weight.sum())
    visits = history[history["opportunity_id"].isin(done.index) & ~history["stage"].isin(closed)]
    visits = visits.drop_duplicates(["opportunity_id", "stage"])
    visit_weight = weight.reindex(visits["opportunity_id"]).to_numpy()
    visit_won = won.reindex(visits["opportunity_id"]).to_numpy(dtype=float)
    table = (
        pd.DataFrame(
            {
                "stage": visits["stage"].to_numpy(),
                "won": visit_won * visit_weight,
                "weight": visit_weight,
            }
        )
        .groupby("stage")[["won", "weight"]]
        .sum()
    )
    k = config.win_rate_prior_deals * float(weight.mean())
    return ((table["won"] + k * prior) / (table["weight"] + k)).to_dict(), prior


def _open_at(
    opps: pd.DataFrame, history: pd.DataFrame, closed: set[str], cutoff: pd.Timestamp
) -> pd.DataFrame:
    """Stage, amount (default currency), close date and days in stage of deals open at cutoff."""
    state = history.groupby("opportunity_id").tail(1).set_index("opportunity_id")
    state = state[~state["stage"].isin(closed)]
    fx = (opps["amount_in_default_currency"].astype(float) / opps["amount"].astype(float)).replace(
        [np.inf, -np.inf], np.nan
    )
    amount = state["amount"].astype(float) * fx.reindex(state.index)
    out = pd.DataFrame(
        {
            "stage": state["stage"],
            "amount": amount.fillna(
                opps["amount_in_default_currency"].astype(float).reindex(state.index)
            ),
            "close_date": pd.to_datetime(state["close_date"]),
            "days_in_stage": (cutoff - state["valid_from"]).dt.days.astype(float),
        }
    )
    # Deals without any history row: open by their own dates; stage unknown (overall rate).
    created = pd.to_datetime(opps["created_at"]) < cutoff
    still_open = pd.to_datetime(opps["closed_at"]).isna() | (
        pd.to_datetime(opps["closed_at"]) >= cutoff
    )
    bare = opps[created & still_open & ~opps.index.isin(history["opportunity_id"])]
    if len(bare):
        still_open_today = ~bare["is_closed"].fillna(False).astype(bool)
        extra = pd.DataFrame(
            {
                "stage": "unknown",
                "amount": bare["amount_in_default_currency"].astype(float),
                "close_date": pd.to_datetime(bare["close_date"]).where(still_open_today),
                "days_in_stage": 0.0,
            }
        )
        out = pd.concat([out, extra])
    # A close date recorded only on today's snapshot is trusted for deals still open today.
    today = pd.to_datetime(opps["close_date"]).where(~opps["is_closed"].fillna(False).astype(bool))
    out["close_date"] = out["close_date"].fillna(today.reindex(out.index))
    for column in ("region", "product", "owner_rep_id"):
        out[column] = opps[column].reindex(out.index).fillna("unknown").astype(str)
    return out


def _won_durations(
    opps: pd.DataFrame, history: pd.DataFrame, closed: set[str], cutoff: pd.Timestamp
) -> dict[str, np.ndarray]:
    """Days from entering each stage to closing, for deals won before the cutoff."""
    closed_at = pd.to_datetime(opps["closed_at"])
    won = opps[opps["is_won"].fillna(False).astype(bool) & (closed_at < cutoff)]
    visits = history[history["opportunity_id"].isin(won.index) & ~history["stage"].isin(closed)]
    days = closed_at.reindex(visits["opportunity_id"]).to_numpy() - visits["valid_from"].to_numpy()
    days = days / np.timedelta64(1, "D")
    out = {stage: days[(visits["stage"] == stage).to_numpy()] for stage in visits["stage"].unique()}
    out["*"] = days
    return out


def _remaining_days(
    stages: pd.Series, ages: pd.Series, durations: dict[str, np.ndarray]
) -> np.ndarray:
    """Median remaining days to close of a deal ``age`` days into its stage: over won deals
    of that stage that took longer than ``age``, the median of ``duration - age`` (a deal
    already past the typical time is not due today, it is due when the slow ones close).
    Older than every won deal of its stage: NaN, a stale deal nobody's history says will
    close, left out. No won deal to learn from at all: 30 days."""
    out = np.empty(len(stages))
    for i, (stage, age) in enumerate(zip(stages, ages.fillna(0.0), strict=True)):
        seen = durations.get(stage, durations["*"])
        seen = seen if len(seen) else durations["*"]
        if len(seen) == 0:
            out[i] = _DEFAULT_DAYS_TO_CLOSE
            continue
        longer = seen[seen > age] - age
        out[i] = float(np.median(longer)) if len(longer) else np.nan
    return out


def _by_period(
    deals: pd.DataFrame,
    grain: str,
    forecast_date: date,
    config: ForecastConfig,
    series: SeriesSet | None,
) -> pd.DataFrame:
    horizon = config.per_grain("horizon", grain)
    periods = calendar.period_range(
        calendar.first_open_period(forecast_date, grain), horizon, grain
    )
    first, end = periods[0], pd.Timestamp(calendar.period_end(periods[-1].date(), grain))
    close = deals["close"].clip(lower=first)
    keep = close <= end
    start = pd.Series(
        [pd.Timestamp(calendar.period_start(d.date(), grain)) for d in close[keep]],
        index=close[keep].index,
    )
    kept = deals[keep].assign(period_start=start)
    sums = [kept.groupby("period_start")["value"].sum().rename(TOTAL)]
    for level in ("region", "product", "rep"):
        sums.append(
            kept.groupby(["period_start", level])["value"].sum().unstack(level, fill_value=0.0)
        )
    table = pd.concat(sums, axis=1).reindex(periods, fill_value=0.0).fillna(0.0)
    known = list(series.frame(grain).columns) if series is not None else []
    table = table.reindex(
        columns=list(dict.fromkeys([TOTAL, *known, *table.columns])), fill_value=0.0
    )
    long = (
        table.rename_axis("period_start")
        .reset_index()
        .melt(id_vars="period_start", var_name="segment", value_name="existing_pipeline")
    )
    long["grain"] = grain
    long["period_end"] = [calendar.period_end(p.date(), grain) for p in long["period_start"]]
    long["period_start"] = [p.date() for p in long["period_start"]]
    return long
