"""What a deal counts for in a rate *by value* (the share of the amount won, as sales
teams quote a win rate by value beside one by count): deal scoring's stage win rates
and the forecast's open pipeline both weigh deals this way."""

from __future__ import annotations

import numpy as np
import pandas as pd


def by_amount(amount: pd.Series) -> np.ndarray:
    """Each deal's weight: its amount; the median positive amount where the amount is
    missing or not positive, so a deal without one counts as a typical deal (1 for all
    when no amount is known, which makes the rate one by count)."""
    values = pd.to_numeric(amount, errors="coerce").to_numpy(dtype=float)
    known = np.isfinite(values) & (values > 0)
    typical = float(np.median(values[known])) if known.any() else 1.0
    return np.where(known, values, typical)
