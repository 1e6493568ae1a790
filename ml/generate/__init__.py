"""Synthetic CRM landing zone: daily CDC deliveries of the seven contract tables.

``generate_landing_zone`` writes ``<out>/<table>/<YYYY-MM-DD>/<table>.csv`` for every
table and day, with learnable signal (conversion, win, revenue seasonality) and a
little deterministic mess (late rows, invalid rows, a repeated delivery).
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
