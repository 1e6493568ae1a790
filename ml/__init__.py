"""salespipe: self-hosted, AI-driven sales-pipeline optimisation."""

from ml.settings import disable_telemetry

disable_telemetry()
