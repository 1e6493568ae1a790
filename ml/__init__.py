"""salespipe: self-hosted, AI-driven sales-pipeline optimisation."""
