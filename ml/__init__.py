"""salespipe: self-hosted, AI-driven sales-pipeline optimisation."""

from ml.access import private_by_default
from ml.settings import disable_telemetry

disable_telemetry()
private_by_default()
