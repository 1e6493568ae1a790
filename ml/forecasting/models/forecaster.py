"""The fitted revenue forecaster (champions, interval quantiles and networks, no data),
how it makes segment forecasts add up, and its MLflow pyfunc form.

:class:`RevenueForecaster` is what ``fit_forecaster`` returns and what MLflow stores. It
is plain Python and numpy all the way down (the LSTM is kept as arrays), so joblib
pickles it and it loads without torch objects. At forecast time the local models (run
rate, ETS, seasonal naive) are re-run on the history passed in, which is how local
models forecast: their state is the history; the LSTM uses the stored weights.

Forecast periods start right after the last complete period of the ``SeriesSet`` (the
current, unfinished week or month is forecast in full: revenue already booked in it is
not subtracted). Rows are reconciled per grain and period (:func:`reconcile`),
non-negative, and carry 80% (``lower``/``upper``) and 95% intervals.

As an MLflow pyfunc (:class:`RevenueForecastPyfunc`), any MLflow client can load a
version and call ``predict`` with ``marts.daily_revenue`` rows and
``params={"forecast_date": "YYYY-MM-DD"}``; it returns the forecast rows. The generic
interface carries no market indicators, so a version whose champion is the LSTM forecasts
there with neutral covariates; salespipe's own steps unwrap the model and pass the
indicators (:func:`load_forecaster`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ml.forecasting import calendar
from ml.forecasting.config import GRAINS, RUN_RATE, ForecastConfig
from ml.forecasting.features import TOTAL, SeriesSet, build_series, level_of
from ml.forecasting.models.accuracy import mase_scale
from ml.forecasting.models.base_forecasts import base_forecasts
from ml.forecasting.models.lstm import LSTMState
from ml.forecasting.models.panel import Panel, build_panel, covariates_for
from ml.registry.pyfunc import JoblibPythonModel, load_fitted, pinned_requirements

# The model-from-code file MLflow stores with every version.
MODEL_FILE = Path(__file__).with_name("mlflow_model.py")
ARTIFACT_KEY = "revenue_forecaster"
# Where the pickled classes and the pyfunc lived before: forecasting before it took the
# house shape (forecasting/models/), and the pyfunc and reconciliation before they folded
# into this module. Versions registered then still load (ml.registry.pyfunc.old_module_paths).
MOVED_MODULES = {
    f"ml.forecasting.{name}": f"ml.forecasting.models.{name}"
    for name in ("forecaster", "lstm", "lstm_data", "panel", "backtest", "ets_budget")
} | {
    "ml.forecasting.series": "ml.forecasting.features",
    "ml.forecasting.pyfunc": "ml.forecasting.models.forecaster",
    "ml.forecasting.models.pyfunc": "ml.forecasting.models.forecaster",
}
HIERARCHIES = ("region", "product", "rep")
_FROZEN = 1e-12  # relative weight of a series pinned at 0

FORECAST_COLUMNS = [
    "forecast_date", "segment", "grain", "period_start", "period_end", "forecast", "lower",
    "upper", "interval_level", "lower_95", "upper_95", "method", "series_status",
]  # fmt: skip


@dataclass(frozen=True)
class GrainModel:
    """What was learnt for one grain."""

    grain: str
    champions: dict[str, str]  # segment -> model name
    quantiles: dict[tuple[str, float], np.ndarray]  # (level or "*", coverage) -> per step
    ets_segments: frozenset[str]  # series within the ETS budget
    lstm: LSTMState | None


class RevenueForecaster:
    """Forecasts revenue per segment and period with calibrated, reconciled intervals."""

    def __init__(self, config: ForecastConfig, grains: dict[str, GrainModel], as_of: date):
        self.config = config
        self.grains = grains
        self.as_of = as_of  # the history the champions and quantiles were learnt on

    @property
    def champions(self) -> pd.DataFrame:
        """One row per grain and segment: the model chosen for it."""
        rows = [
            (g, seg, level_of(seg), model)
            for g, gm in self.grains.items()
            for seg, model in gm.champions.items()
        ]
        return pd.DataFrame(rows, columns=["grain", "segment", "level", "method"])

    def forecast(
        self,
        series: SeriesSet,
        covariates: Mapping[str, pd.DataFrame] | pd.DataFrame | None,
        forecast_date: date,
    ) -> pd.DataFrame:
        """One row per grain, segment and future period (``FORECAST_COLUMNS``).

        Raises:
            ValueError: ``series`` holds data after ``forecast_date``.
        """
        if series.as_of > forecast_date:
            raise ValueError(
                f"series run to {series.as_of}, after the forecast date {forecast_date}"
            )
        frames = [
            self._forecast_grain(build_panel(series, covariates_for(covariates, g), g))
            for g in GRAINS
        ]
        out = pd.concat(frames, ignore_index=True)
        out.insert(0, "forecast_date", forecast_date)
        return out[FORECAST_COLUMNS]

    def _forecast_grain(self, panel: Panel) -> pd.DataFrame:
        config, gm = self.config, self.grains[panel.grain]
        horizon = config.per_grain("horizon", panel.grain)
        season = config.per_grain("season_length", panel.grain)
        origin = panel.length
        status = [panel.status.get(s, "ok") for s in panel.segments]
        methods = np.array(
            [gm.champions.get(s, RUN_RATE) if st == "ok" else RUN_RATE
             for s, st in zip(panel.segments, status, strict=True)],
            dtype=object,
        )  # fmt: skip
        ets_rows = np.array([s in gm.ets_segments for s in panel.segments])
        base = np.full((len(panel.segments), horizon), np.nan)
        for model in sorted(set(methods)):
            rows = methods == model
            got = base_forecasts(
                panel, origin, config, models=(model,), rows=rows, ets_rows=ets_rows, lstm=gm.lstm
            ).get(model)
            if got is not None:
                base[rows] = got[rows]
        missing = np.isnan(base).any(1)
        if missing.any():  # a model that cannot run today (e.g. no network): fall back
            methods[missing] = RUN_RATE
            fallback = base_forecasts(panel, origin, config, models=(RUN_RATE,), rows=missing)
            base[missing] = fallback[RUN_RATE][missing]
        scales = np.array([mase_scale(panel.y[s], season) for s in range(len(panel.segments))])
        point = reconcile(base, panel.segments, scales**2)
        quantiles = gm.quantiles or insample_quantiles(panel, config)
        periods = panel.future_periods(origin, horizon)
        frame = {
            "segment": np.repeat(panel.segments, horizon),
            "grain": panel.grain,
            "period_start": np.tile([p.date() for p in periods], len(panel.segments)),
            "period_end": np.tile(
                [calendar.period_end(p.date(), panel.grain) for p in periods], len(panel.segments)
            ),
            "forecast": point.ravel(),
            "interval_level": config.interval_levels[0],
            "method": np.repeat(methods, horizon),
            "series_status": np.repeat(status, horizon),
        }
        for q, (lo, hi) in zip(
            config.interval_levels, (("lower", "upper"), ("lower_95", "upper_95")), strict=True
        ):
            width = (
                np.stack([_quantile(quantiles, level_of(s), q) for s in panel.segments])
                * np.nan_to_num(scales)[:, None]
            )
            frame[lo] = np.clip(point - width, 0.0, None).ravel()
            frame[hi] = (point + width).ravel()
        return pd.DataFrame(frame)


def insample_quantiles(panel: Panel, config: ForecastConfig) -> dict[tuple[str, float], np.ndarray]:
    """Uncalibrated fallback when a grain could not be backtested (history too short):
    quantiles of each series' normalised deviation from its own recent mean, pooled by
    level, the same for every step. Wider than nothing, honest about being a guess (the
    backtest table shows ``origins = 0`` for such a grain)."""
    horizon = config.per_grain("horizon", panel.grain)
    window = config.per_grain("run_rate_window", panel.grain)
    season = config.per_grain("season_length", panel.grain)
    deviations: dict[str, list[np.ndarray]] = {}
    for s, segment in enumerate(panel.segments):
        scale = mase_scale(panel.y[s], season)
        recent = panel.y[s, -window:]
        if np.isfinite(scale) and scale > 0:
            deviations.setdefault(level_of(segment), []).append(
                np.abs(recent - recent.mean()) / scale
            )
    out: dict[tuple[str, float], np.ndarray] = {}
    for q in config.interval_levels:
        pooled = np.concatenate(
            [v for values in deviations.values() for v in values] or [np.zeros(1)]
        )
        out[("*", q)] = np.full(horizon, np.quantile(pooled, q))
        for level, values in deviations.items():
            out[(level, q)] = np.full(horizon, np.quantile(np.concatenate(values), q))
    return out


def _quantile(quantiles: dict[tuple[str, float], np.ndarray], level: str, q: float) -> np.ndarray:
    found = quantiles.get((level, q))
    return found if found is not None else quantiles[("*", q)]


# Reconciliation: segment forecasts that add up (regions, products and reps each sum to
# the total).
#
# Make segment forecasts add up: regions, products and reps each sum to the total.
#
# Method: weighted least-squares projection onto the coherent forecasts (the MinT
# family of Wickramasuriya, Athanasopoulos & Hyndman 2019, with a diagonal weight, written
# with constraints rather than a summing matrix because the three hierarchies share only
# their top). The constraints are ``C y = 0`` with one row per hierarchy,
# ``total - sum(members) = 0``. Among all forecasts meeting them we take the one closest
# to the base forecasts ``b`` in the metric ``W^-1``::
#
#     y = b - W C' (C W C')^-1 C b
#
# so each series absorbs a share of the disagreement proportional to its weight ``W_ii``.
# We use ``W_ii = scale_i^2``, the squared MASE scale of series ``i`` (its typical
# period-to-period swing): a volatile rep moves more than the steady total, and a series
# with no revenue at all (scale 0) does not move. A backtest-variance weight would be
# "MinT-diagonal" proper; the scale needs no residuals, so it works at every origin of a
# backtest as well, and is what we use.
#
# Non-negativity. A projection can push a small series below zero. Such series are
# set to 0 and frozen (weight ~0), and the rest is projected again; a few rounds suffice.
# The result meets every constraint to floating-point precision and has no negative value.


def constraint_matrix(segments: tuple[str, ...] | list[str]) -> np.ndarray:
    """One row ``total - sum(members)`` per hierarchy present in ``segments``.

    Raises:
        ValueError: there are segments but no ``total``.
    """
    segments = list(segments)
    levels = [level_of(s) for s in segments]
    present = [h for h in HIERARCHIES if h in levels]
    if present and TOTAL not in segments:
        raise ValueError("reconciliation needs a 'total' series")
    rows = np.zeros((len(present), len(segments)))
    for r, hierarchy in enumerate(present):
        rows[r, segments.index(TOTAL)] = 1.0
        rows[r, [i for i, lv in enumerate(levels) if lv == hierarchy]] = -1.0
    return rows


def reconcile(
    base: np.ndarray, segments: tuple[str, ...] | list[str], weights: np.ndarray
) -> np.ndarray:
    """Coherent, non-negative forecasts closest to ``base`` (``(series, h)``).

    ``weights`` (one per series, >= 0) say how freely each series may move; NaN or
    non-positive weights pin a series (use it for series known to be 0).
    """
    constraints = constraint_matrix(segments)
    base = np.clip(np.nan_to_num(np.asarray(base, float)), 0.0, None)
    if constraints.shape[0] == 0:
        return base
    w = np.asarray(weights, float)
    top = np.nanmax(w) if np.any(w > 0) else 1.0
    w = np.where(np.isfinite(w) & (w > 0), w, _FROZEN * top)
    out = np.empty_like(base)
    for h in range(base.shape[1]):
        out[:, h] = _project_non_negative(base[:, h], constraints, w, top)
    return out


def _project_non_negative(b: np.ndarray, c: np.ndarray, w: np.ndarray, top: float) -> np.ndarray:
    w = w.copy()
    y = b
    for _ in range(len(b)):  # each round freezes at least one series
        cw = c * w  # C W
        y = b - w * (c.T @ np.linalg.solve(cw @ c.T, c @ b))
        negative = y < 0
        if not negative.any():
            return y
        b = np.where(negative, 0.0, y)
        w = np.where(negative, _FROZEN * top, w)
    return np.clip(y, 0.0, None)


class RevenueForecastPyfunc(JoblibPythonModel):
    """``predict``: daily revenue rows in, forecast rows (``FORECAST_COLUMNS``) out."""

    ARTIFACT_KEY = ARTIFACT_KEY

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        forecast_date = date.fromisoformat((params or {})["forecast_date"])
        series = build_series(model_input, self.fitted.config, as_of=forecast_date)
        return self.fitted.forecast(series, None, forecast_date)


def pip_requirements() -> list[str]:
    return pinned_requirements(
        "torch", "lightning", "statsmodels", "pandas", "numpy", "scikit-learn", "joblib"
    )


def load_forecaster(model_uri: str) -> RevenueForecaster:
    """Load a registered forecaster (``models:/revenue_forecast/3``)."""
    return load_fitted(model_uri, MOVED_MODULES)
