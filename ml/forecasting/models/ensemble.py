"""The ensemble: an equal-weight mean of base models' forecasts.

Equal weights, because with four to six backtest origins estimated combination weights
are mostly noise, and the simple mean is the combination that has held up across the
M-competitions. Members are named in ``ForecastConfig.ensemble_members`` (default run
rate, ETS and LSTM: a flat level, a trend and a learnt seasonal shape). A member that
was not run at all (the LSTM switched off) is left out; where a run member has no
forecast for a series (ETS out of budget, too short) the ensemble has none either, so
it is never quietly a different model for some series.
"""

from __future__ import annotations

import numpy as np


def combine(forecasts: dict[str, np.ndarray], members: tuple[str, ...]) -> np.ndarray:
    """Mean over the ``members`` present in ``forecasts`` (arrays of one shape).

    Raises:
        ValueError: none of the members is present.
    """
    present = [forecasts[m] for m in members if m in forecasts]
    if not present:
        raise ValueError(f"no ensemble member among {sorted(forecasts)}: {members}")
    return np.mean(np.stack(present), axis=0)  # NaN in any member stays NaN
