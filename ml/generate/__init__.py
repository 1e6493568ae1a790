"""Synthetic CRM landing zone: daily CDC deliveries of the seven contract tables.

``generate_landing_zone`` writes ``<out>/<table>/<YYYY-MM-DD>/<table>.csv`` for every
table and day, with learnable signal (conversion, win, revenue seasonality) and a
little deterministic mess (late rows, invalid rows, a repeated delivery).

It also writes its own truth, ``<out>/_truth/leads.csv`` (``lead_id``,
``true_conversion_probability``, ``converted``): the probability each lead was given
of converting, the ceiling of lead scoring. Ingest skips ``_`` folders. With
``drift_from``, leads from that day on come from a shifted source mix and bigger
companies, and earlier days' files stay byte-identical (``ml.generate.drift``).
"""

from ml.generate.config import TABLE_COLUMNS, TABLES, GeneratorConfig
from ml.generate.landing import GenerationSummary, generate_landing_zone

__all__ = [
    "TABLES",
    "TABLE_COLUMNS",
    "GenerationSummary",
    "GeneratorConfig",
    "generate_landing_zone",
]
