"""Parameters of one generation run and the shape of the landing zone it writes.

The parameters are a frozen dataclass so that a run is fully described by one value:
the same value always gives byte-identical files. The table columns follow
CONTRACT.md section 1 (required columns plus the optional ones the generator fills).
"""

from __future__ import annotations

import datetime as dt
import numbers
from dataclasses import dataclass, replace

from ml.contract import LANDING_TABLES

# Leads per cohort. A fixed number (never derived from memory or timing) so that chunk
# boundaries, and therefore the random streams, are the same on every machine.
COHORT_LEADS = 50_000

# The generator fills every contract column but free-text activity bodies, and gives
# leads three custom fields.
CUSTOM_LEAD_FIELDS = ("attr_budget_confirmed", "attr_lead_form", "attr_seats_requested")
UNFILLED_COLUMNS = {"activities": ("body_text",)}

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(c for c in table.columns if c not in UNFILLED_COLUMNS.get(name, ()))
    + (CUSTOM_LEAD_FIELDS if name == "leads" else ())
    for name, table in LANDING_TABLES.items()
}
TABLES: tuple[str, ...] = tuple(TABLE_COLUMNS)

MARKER_FILE = "_generator.json"
# The generator's own truth (per-lead conversion probability), outside the table folders:
# ingest skips folders whose names start with "_".
TRUTH_FOLDER = "_truth"
GENERATOR_NAME = "salespipe.generate"
GENERATOR_VERSION = 1


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate and the (small, deterministic) amount of mess to put in it.

    ``seed``, ``leads``, ``start`` and ``days`` are the user's choice; the rates are
    fixed defaults kept here so that tests and readers find them in one place.
    """

    seed: int = 42
    leads: int = 20_000
    start: dt.date = dt.date(2024, 1, 1)
    days: int = 730
    cohort_leads: int = COHORT_LEADS
    late_rate: float = 0.01  # share of CDC rows delivered 1-3 days late
    invalid_lead_rate: float = 0.0004  # per kind: null lead_id, malformed email
    invalid_opportunity_rate: float = 0.0003  # per kind: negative amount, bad stage, bad date
    # Leads created on or after drift_from come from a shifted source mix and bigger
    # companies; drift_strength (0-1] blends the shifted mix into the usual one.
    drift_from: dt.date | None = None
    drift_strength: float = 1.0

    @property
    def last_day(self) -> dt.date:
        """The last delivery date: ``start + days - 1``."""
        return self.start + dt.timedelta(days=self.days - 1)

    @property
    def start_epoch_day(self) -> int:
        """``start`` as days since 1970-01-01, the unit every time array uses."""
        return (self.start - dt.date(1970, 1, 1)).days

    @property
    def cohorts(self) -> int:
        """Number of lead cohorts (chunks) the leads are generated in."""
        return -(-self.leads // self.cohort_leads)


def _is_integer(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def validate(config: GeneratorConfig) -> GeneratorConfig:
    """Check the user-facing parameters and return them with plain ``int`` values.

    Raises:
        ValueError: with a one-sentence message naming the bad argument.
    """
    if not _is_integer(config.seed) or config.seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {config.seed!r}.")
    if not _is_integer(config.leads) or config.leads < 1:
        raise ValueError(f"leads must be an integer of at least 1, got {config.leads!r}.")
    if not _is_integer(config.days) or config.days < 1:
        raise ValueError(f"days must be an integer of at least 1, got {config.days!r}.")
    if isinstance(config.start, dt.datetime) or not isinstance(config.start, dt.date):
        raise ValueError(f"start must be a date (YYYY-MM-DD), got {config.start!r}.")
    if config.leads >= 100_000_000:
        raise ValueError(
            f"leads must be below 100,000,000 (ids have 8 digits), got {config.leads:,}."
        )
    if config.days > 36_600:
        raise ValueError(f"days must be at most 36,600 (100 years), got {config.days:,}.")
    if config.start.year < 1900 or config.start.year > 9000:
        raise ValueError(f"start must be between the years 1900 and 9000, got {config.start}.")
    drift_from = config.drift_from
    if drift_from is not None and (
        isinstance(drift_from, dt.datetime)
        or not isinstance(drift_from, dt.date)
        or not config.start <= drift_from <= config.last_day
    ):
        raise ValueError(
            f"drift_from must be a date between start ({config.start}) and the last day "
            f"({config.last_day}), got "
            f"{drift_from.isoformat() if isinstance(drift_from, dt.date) else repr(drift_from)}."
        )
    strength = config.drift_strength
    if (
        not isinstance(strength, numbers.Real)
        or isinstance(strength, bool)
        or not 0 < strength <= 1
    ):
        raise ValueError(f"drift_strength must be a number in (0, 1], got {strength!r}.")
    return replace(
        config,
        seed=int(config.seed),
        leads=int(config.leads),
        days=int(config.days),
        drift_strength=float(strength),
    )
