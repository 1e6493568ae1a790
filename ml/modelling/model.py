"""The two candidate models, behind one interface that can explain every score exactly.

Both models produce a margin (log-odds) that splits exactly into one contribution per
feature plus a bias:

- the logistic regression: ``w_j * (x_j - mean_j)`` summed over the columns a feature
  became (one-hot levels, a missing indicator), which is its exact SHAP value under
  feature independence;
- XGBoost: the booster's own exact tree SHAP values (``pred_contribs``), with native
  categorical splits, so each categorical feature gets one contribution.

Calibration is Platt scaling of that margin on the calibration slice,
``logit(p) = a * margin + b``. It is linear in the margin, so the contributions times
``a`` are still exact contributions to the calibrated log-odds: a row's factors add up
to its probability, and nothing is approximated. (Isotonic calibration would not keep
that, which is why it is not used.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from ml.modelling.encoding import NumericScaling, Vocabulary, learn_scaling, learn_vocabulary
from ml.modelling.features import FeatureSpec
from ml.modelling.params import LogisticParams, XGBoostParams

LOGISTIC, XGBOOST = "logistic_regression", "xgboost"


@dataclass
class ExplainableModel:
    """A fitted candidate: encoding, estimator and calibration. Pickled into MLflow."""

    kind: str
    spec: FeatureSpec
    vocabulary: Vocabulary
    scaling: NumericScaling
    estimator: object
    platt_slope: float = 1.0
    platt_intercept: float = 0.0
    # Linear model only: the mean of every encoded column over the training rows, the
    # reference point its exact contributions are measured from.
    training_column_means: np.ndarray | None = None

    def margin_contributions(self, inputs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Uncalibrated (contributions: rows x spec.columns, bias: rows)."""
        if self.kind == XGBOOST:
            return _xgboost_contributions(self, inputs)
        return _linear_contributions(self, inputs)

    def contributions(self, inputs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Exact contributions to the calibrated log-odds, and the bias, per row."""
        contributions, bias = self.margin_contributions(inputs)
        return contributions * self.platt_slope, bias * self.platt_slope + self.platt_intercept

    def margin(self, inputs: pd.DataFrame) -> np.ndarray:
        if self.kind == XGBOOST:
            import xgboost as xgb

            matrix = xgb.DMatrix(_xgboost_frame(self, inputs), enable_categorical=True)
            return self.estimator.get_booster().predict(matrix, output_margin=True)
        return self.estimator.decision_function(_linear_matrix(self, inputs))

    def predict_proba(self, inputs: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of the positive class (the use case's label), per row."""
        logit = self.platt_slope * self.margin(inputs) + self.platt_intercept
        return 1.0 / (1.0 + np.exp(-logit))

    def calibrate(self, inputs: pd.DataFrame, labels: np.ndarray) -> None:
        """Fit the Platt slope and intercept on held-back rows (in place)."""
        platt = LogisticRegression(C=1e6, max_iter=1000)
        platt.fit(self.margin(inputs).reshape(-1, 1), labels)
        self.platt_slope = float(platt.coef_[0, 0])
        self.platt_intercept = float(platt.intercept_[0])


def fit_logistic(
    inputs: pd.DataFrame, labels: np.ndarray, spec: FeatureSpec, params: LogisticParams
) -> ExplainableModel:
    """Fit the baseline on ``inputs`` (from :func:`~ml.modelling.features.model_inputs`)."""
    model = _blank(LOGISTIC, inputs, spec)
    matrix = _linear_matrix(model, inputs)
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
        _xgboost_frame(model, inputs),
        labels,
        eval_set=[(_xgboost_frame(model, eval_inputs), eval_labels)],
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


def _xgboost_frame(model: ExplainableModel, inputs: pd.DataFrame) -> pd.DataFrame:
    frame = inputs[list(model.spec.numeric)].astype("float32")
    categorical = model.vocabulary.categorical_frame(inputs)
    return pd.concat([frame, categorical], axis=1)[model.spec.columns]


def _xgboost_contributions(
    model: ExplainableModel, inputs: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    import xgboost as xgb

    matrix = xgb.DMatrix(_xgboost_frame(model, inputs), enable_categorical=True)
    values = model.estimator.get_booster().predict(matrix, pred_contribs=True)
    return values[:, :-1].astype(np.float64), values[:, -1].astype(np.float64)


def _linear_matrix(model: ExplainableModel, inputs: pd.DataFrame) -> sparse.csr_matrix:
    """[standardised numerics | missing indicators | one-hot of every categorical]."""
    scaled, missing = model.scaling.transform(inputs)
    blocks = [sparse.csr_matrix(scaled), sparse.csr_matrix(missing[:, model.scaling.has_missing])]
    for column, codes in model.vocabulary.codes(inputs).items():
        width = len(model.vocabulary.labels[column])
        blocks.append(
            sparse.csr_matrix(
                (np.ones(len(codes)), (np.arange(len(codes)), codes)), shape=(len(codes), width)
            )
        )
    return sparse.hstack(blocks, format="csr")


def _linear_contributions(
    model: ExplainableModel, inputs: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Per feature ``sum_k w_k (x_k - mean_k)`` over its columns; bias = margin at the means."""
    weights = model.estimator.coef_[0]
    means = model.training_column_means
    scaled, missing = model.scaling.transform(inputs)
    n_numeric = len(model.spec.numeric)
    contributions = np.zeros((len(inputs), len(model.spec.columns)))
    contributions[:, :n_numeric] = (scaled - means[:n_numeric]) * weights[:n_numeric]
    indicator_of = np.flatnonzero(model.scaling.has_missing)
    offset = n_numeric
    for i, column in enumerate(indicator_of):
        w, m = weights[offset + i], means[offset + i]
        contributions[:, column] += w * (missing[:, column] - m)
    offset += len(indicator_of)
    for j, (column, codes) in enumerate(model.vocabulary.codes(inputs).items()):
        width = len(model.vocabulary.labels[column])
        w, m = weights[offset : offset + width], means[offset : offset + width]
        contributions[:, n_numeric + j] = w[codes] - float(w @ m)
        offset += width
    bias = float(model.estimator.intercept_[0] + weights @ means)
    return contributions, np.full(len(inputs), bias)


# Lead-model versions registered before this class was shared pickled it as
# ``ml.lead_scoring.model.LeadModel``; with ml.lead_scoring.model.pyfunc.MOVED_MODULES
# mapping that module here, this name lets them load.
LeadModel = ExplainableModel
