"""Modelling pieces every classification use case shares (lead scoring, deal scoring):
the explainable candidates (a logistic baseline and XGBoost, Platt-calibrated, with
exact per-feature contributions), their input encoding and hyper-parameters, and each
row's top factors in words. A shared service: it never imports a use case."""
