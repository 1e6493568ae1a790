"""Hyper-parameters of the revenue forecaster: one frozen value, logged to MLflow as params.

Every number the forecasting stage uses lives here so that a run is fully described by
``ForecastConfig`` plus the data. Per-grain settings are ``(week, month)`` pairs read
through :meth:`ForecastConfig.per_grain`, which keeps the dataclass flat (MLflow params
are flat) and hashable.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ml.settings import Settings

GRAINS: tuple[str, ...] = ("week", "month")
LEVELS: tuple[str, ...] = ("total", "region", "product", "rep")

# Model names as they appear in the backtest table and the ``method`` column.
SEASONAL_NAIVE = "seasonal_naive"
RUN_RATE = "run_rate"
ETS = "ets"
LSTM = "lstm"
ENSEMBLE = "ensemble"
CHAMPION = "champion"
MODELS: tuple[str, ...] = (SEASONAL_NAIVE, RUN_RATE, ETS, LSTM, ENSEMBLE)


@dataclass(frozen=True)
class ForecastConfig:
    """What the forecasting stage does and how much it may spend doing it.

    Pairs are ``(week, month)``. Defaults are sized for a few hundred weekly series on
    two CPU cores (see ``bench/bench_forecast.py``).
    """

    # False switches revenue forecasting off: the nightly DAG skips it and says so.
    enabled: bool = True
    # What is forecast and how far.
    horizon: tuple[int, int] = (13, 6)
    season_length: tuple[int, int] = (52, 12)  # one year: the seasonal-naive lag
    interval_levels: tuple[float, float] = (0.8, 0.95)

    # Rolling-origin backtest: origins at T - horizon - k * step, k = 0..origins-1. A short
    # history shrinks the step first; fewer than min_backtest_origins happen only when even
    # one-period steps do not fit (the table's "origins" column says so).
    backtest_origins: int = 6
    min_backtest_origins: int = 4
    origin_step: tuple[int, int] = (8, 2)
    min_train_periods: tuple[int, int] = (26, 6)  # history a series needs at an origin

    # Series status: below min_history a series is "short"; above max_zero_share of zero
    # periods in the last season it is "sparse". Both get the run-rate fallback.
    # min_history = min_train_periods + horizon: the least history one backtest origin needs.
    min_history: tuple[int, int] = (39, 12)
    max_zero_share: float = 0.8
    run_rate_window: tuple[int, int] = (52, 12)

    # A rep is its own segment only with this much weekly history and a win in the last
    # rep_active_weeks; the others are pooled into "rep:other".
    rep_segments: bool = True
    rep_min_history_weeks: int = 39
    rep_active_weeks: int = 26

    # ETS (statsmodels): a wall-clock cap on its fits per grain and backtest. Series are
    # admitted in priority order (total, regions, products, reps) while it lasts; the
    # rest have no ETS candidate (see ml.forecasting.models.ets_budget).
    ets_budget_seconds: float = 60.0

    # LSTM (global, Lightning, CPU).
    lstm_input_length: tuple[int, int] = (26, 12)
    lstm_hidden_size: int = 64
    lstm_layers: int = 2
    lstm_dropout: float = 0.1
    lstm_learning_rate: float = 3e-3
    lstm_weight_decay: float = 1e-4
    lstm_batch_size: int = 128
    lstm_samples_per_epoch: int = 4096  # windows drawn per epoch: bounds epoch cost
    max_epochs: int = 30  # first training of a backtest
    refit_epochs: int = 5  # warm-started training at each later origin and the final fit
    # Wall-clock cap on all LSTM training of one grain (backtest origins and final fit),
    # shared between the calls in proportion to their epochs (Trainer max_time).
    lstm_budget_seconds: float = 90.0
    use_lstm: bool = True
    # Threads for torch (LSTM) and BLAS/OpenMP (statsmodels) while models run, restored
    # afterwards. One: on a shared 2-core machine a second thread spins against the
    # neighbour's load; we measured torch 10x and ETS 3x slower with two than with one.
    threads: int = 1
    lstm_fast_dev_run: bool = False  # tests: one batch, no real training

    # Ensemble: mean of these members' forecasts (where they all exist).
    ensemble_members: tuple[str, ...] = (RUN_RATE, ETS, LSTM)

    # Champion choice: "series" (each series its own), or "level" (one per grain x level).
    select_by: str = "level"
    # A challenger must beat the run rate's mean MASE by this share, and on most origins.
    selection_margin: float = 0.02

    # Conformal intervals: pool normalised residuals over horizon steps until this many.
    min_calibration_residuals: int = 30

    # Pipeline: stage win rates (by value) shrink toward the overall rate with this many
    # pseudo-deals of the average amount.
    win_rate_prior_deals: float = 10.0

    # Registry (read by ml.forecasting.steps): retrain when the champion is this
    # old; a challenger is promoted if its backtest MASE beats the champion's by
    # promotion_margin and its 80% intervals covered within coverage_80_band.
    retrain_every_days: int = 28
    promotion_margin: float = 0.0
    coverage_80_band: tuple[float, float] = (0.75, 0.85)

    seed: int = 42

    def per_grain(self, name: str, grain: str) -> int:
        """The ``(week, month)`` setting ``name`` for ``grain``.

        Raises:
            ValueError: ``grain`` is not ``week`` or ``month``.
        """
        if grain not in GRAINS:
            raise ValueError(f"grain must be one of {GRAINS}, got {grain!r}")
        return getattr(self, name)[GRAINS.index(grain)]

    def lstm_call_budget(self, epochs: int, origins: int) -> float:
        """Seconds one training call of ``epochs`` may take, out of ``lstm_budget_seconds``
        for a backtest of ``origins`` origins plus the final fit."""
        planned = self.max_epochs + max(origins, 1) * self.refit_epochs
        return self.lstm_budget_seconds * epochs / max(planned, 1)

    def as_params(self) -> dict[str, str]:
        """Flat string params for ``mlflow.log_params``."""
        return {k: str(v) for k, v in asdict(self).items()}


def validate(config: ForecastConfig) -> ForecastConfig:
    """Check the settings a user is likely to change; return ``config`` unchanged.

    Raises:
        ValueError: with a sentence naming the bad setting.
    """
    if config.backtest_origins < config.min_backtest_origins or config.min_backtest_origins < 1:
        raise ValueError(
            "backtest_origins must be at least min_backtest_origins (>= 1), got "
            f"{config.backtest_origins} and {config.min_backtest_origins}"
        )
    if sorted(config.interval_levels) != list(config.interval_levels) or not all(
        0 < q < 1 for q in config.interval_levels
    ):
        raise ValueError(f"interval_levels must rise within (0, 1), got {config.interval_levels}")
    if config.select_by not in ("series", "level"):
        raise ValueError(f"select_by must be 'series' or 'level', got {config.select_by!r}")
    unknown = set(config.ensemble_members) - {RUN_RATE, ETS, LSTM, SEASONAL_NAIVE}
    if unknown or not config.ensemble_members:
        raise ValueError(f"ensemble_members must name base models, got {config.ensemble_members}")
    low, high = config.coverage_80_band
    if not 0 <= low < high <= 1:
        raise ValueError(f"coverage_80_band must be (low, high) within [0, 1], got {(low, high)}")
    if min(config.horizon) < 1 or min(config.origin_step) < 1:
        raise ValueError("horizon and origin_step must be positive")
    return config


SECTION = "forecasting"


def forecast_config(settings: Settings) -> ForecastConfig:
    """The ``forecasting`` section of this install's salespipe.yml, defaults filled in.

    Raises:
        ml.config_file.ConfigError: the file is invalid.
    """
    return settings.section(SECTION, ForecastConfig)
