"""Lead scoring: calibrated conversion probabilities, grades and reasons for open leads.

Stages in data-flow order: ``features``, ``train`` / ``training``, ``evaluate``,
``score``, ``monitor``; ``steps`` is what the DAGs and the CLI call.
"""
