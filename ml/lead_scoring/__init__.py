"""Lead scoring: calibrated conversion probabilities, grades and reasons for open leads.

Stages in data-flow order, each pure: ``features``, ``train``, ``evaluate``, ``score``,
``monitor``; ``model/`` holds the estimator and what it is made of. ``steps/`` (one
module per stage) does the I/O and is what the DAGs and the CLI call.
"""
