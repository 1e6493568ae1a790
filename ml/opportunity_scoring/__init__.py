"""Opportunity scoring: each open deal's win probability, slip risk and expected close
period, nightly, into ``ml.opportunity_scores`` (docs/deal-scoring.md)."""
