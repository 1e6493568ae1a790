"""The lead model: the estimator (``estimator``: logistic regression or XGBoost, Platt
calibration, exact contributions), its input encoding, the source prior used before a
model is promoted, the factors in words, and its MLflow pyfunc form."""
