"""The family of forecasting models and what the forecaster is made of: the base models
(``baselines``: seasonal naive, run rate, ETS with its time budget in ``ets_budget``; the
global LSTM in ``lstm_data`` + ``lstm``; the ``ensemble``), every model at one origin
(``base_forecasts``), the arrays they read (``panel``), accuracy measures (``accuracy``),
the rolling-origin ``backtest``, the champion choice (``select``), conformal
``intervals``, the fitted ``forecaster`` (with its coherent segments, ``reconcile``, and
its MLflow pyfunc form), and the backtest ``plots``."""
