"""Fitting the two explainable candidates (:class:`~ml.modelling.model.ExplainableModel`):
the logistic baseline and XGBoost with native categorical splits. Calibration is the
model's own :meth:`~ml.modelling.model.ExplainableModel.calibrate`."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from ml.modelling.encoding import learn_scaling, learn_vocabulary
from ml.modelling.features import FeatureSpec
from ml.modelling.model import (
    LOGISTIC,
    XGBOOST,
    ExplainableModel,
    linear_matrix,
    xgboost_frame,
)
from ml.modelling.params import LogisticParams, XGBoostParams


def fit_logistic(
    inputs: pd.DataFrame, labels: np.ndarray, spec: FeatureSpec, params: LogisticParams
) -> ExplainableModel:
    """Fit the baseline on ``inputs`` (from :func:`~ml.modelling.features.model_inputs`)."""
    model = _blank(LOGISTIC, inputs, spec)
    matrix = linear_matrix(model, inputs)
    model.estimator = LogisticRegression(C=params.C, max_iter=params.max_iter)
    model.estimator.fit(matrix, labels)
    model.training_column_means = np.asarray(matrix.mean(axis=0)).ravel()
    return model


def fit_xgboost(
    inputs: pd.DataFrame,
    labels: np.ndarray,
    spec: FeatureSpec,
    params: XGBoostParams,
    eval_inputs: pd.DataFrame,
    eval_labels: np.ndarray,
    seed: int,
) -> ExplainableModel:
    """Fit XGBoost, early-stopped on ``eval_inputs`` (the calibration slice)."""
    import xgboost as xgb

    model = _blank(XGBOOST, inputs, spec)
    model.estimator = xgb.XGBClassifier(
        tree_method="hist",
        enable_categorical=True,
        max_cat_to_onehot=1,
        n_estimators=params.n_estimators,
        max_depth=params.max_depth,
        learning_rate=params.learning_rate,
        subsample=params.subsample,
        colsample_bytree=params.colsample_bytree,
        min_child_weight=params.min_child_weight,
        reg_lambda=params.reg_lambda,
        early_stopping_rounds=params.early_stopping_rounds,
        eval_metric="logloss",
        n_jobs=params.n_jobs,
        random_state=seed,
    )
    model.estimator.fit(
        xgboost_frame(model, inputs),
        labels,
        eval_set=[(xgboost_frame(model, eval_inputs), eval_labels)],
        verbose=False,
    )
    return model


def _blank(kind: str, inputs: pd.DataFrame, spec: FeatureSpec) -> ExplainableModel:
    return ExplainableModel(
        kind=kind,
        spec=spec,
        vocabulary=learn_vocabulary(inputs, spec.categorical),
        scaling=learn_scaling(inputs, spec.numeric),
        estimator=None,
    )
