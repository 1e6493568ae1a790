"""The fitted model every classification use case shares, and what it says about a row:
a calibrated probability, the exact contribution of each feature, and the top reasons.

Both candidates produce a margin (log-odds) that splits exactly into one contribution per
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

A factor is one feature of the row (a lead, a deal), its value there and its contribution
to the row's calibrated log-odds ("impact"), and the same on the probability scale
("probability_effect": the row's probability minus the probability it would have
without this one contribution, the others unchanged; 0.12 means 12 points). The top
``k`` positive and ``k`` negative are kept; a feature that pushed by less than
``MIN_IMPACT`` is not a reason. ``top_factors`` is JSON so any BI tool can read it::

    {"positive": [{"feature": "activities_demo", "label": "Demos held", "value": "2",
                   "impact": 0.83, "probability_effect": 0.121}, ...],
     "negative": [...]}

How the two candidates are fitted is :mod:`ml.modelling.fit`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from ml.modelling.encoding import NumericScaling, Vocabulary
from ml.modelling.features import FeatureSpec

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

            matrix = xgb.DMatrix(xgboost_frame(self, inputs), enable_categorical=True)
            return self.estimator.get_booster().predict(matrix, output_margin=True)
        return self.estimator.decision_function(linear_matrix(self, inputs))

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


def xgboost_frame(model: ExplainableModel, inputs: pd.DataFrame) -> pd.DataFrame:
    frame = inputs[list(model.spec.numeric)].astype("float32")
    categorical = model.vocabulary.categorical_frame(inputs)
    return pd.concat([frame, categorical], axis=1)[model.spec.columns]


def _xgboost_contributions(
    model: ExplainableModel, inputs: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    import xgboost as xgb

    matrix = xgb.DMatrix(xgboost_frame(model, inputs), enable_categorical=True)
    values = model.estimator.get_booster().predict(matrix, pred_contribs=True)
    return values[:, :-1].astype(np.float64), values[:, -1].astype(np.float64)


def linear_matrix(model: ExplainableModel, inputs: pd.DataFrame) -> sparse.csr_matrix:
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


# Factors: each scored row's top reasons, from the exact contributions above.

MIN_IMPACT = 1e-6


def humanize(feature: str) -> str:
    """A default label for a feature: ``days_in_stage`` -> "Days in stage"."""
    return feature.replace("_", " ").capitalize()


def display_values(values: pd.Series) -> pd.Series:
    """Values as a person reads them: whole numbers without ``.0``, ``missing`` for none."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype("float64")
        whole = numbers.notna() & (numbers == numbers.round())
        text = numbers.map("{:g}".format).where(~whole, numbers.round().map("{:.0f}".format))
        return text.where(numbers.notna(), "missing")
    return values.astype("object").map(lambda v: "missing" if pd.isna(v) else str(v))


def probability_effect(margin: np.ndarray, impact: np.ndarray) -> np.ndarray:
    """``sigmoid(margin) - sigmoid(margin - impact)``: what one log-odds contribution adds
    to the probability of a row whose total log-odds is ``margin``."""
    margin = np.asarray(margin, dtype=np.float64)
    impact = np.asarray(impact, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-margin)) - 1.0 / (1.0 + np.exp(-(margin - impact)))


def top_contributions(
    contributions: np.ndarray, k: int
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each row's ``k`` largest contributions each way ("positive", "negative") above
    ``MIN_IMPACT``, as ``(rows, ranks from 0, feature indices)``, by row, then rank."""
    n, width = contributions.shape
    k = min(k, width)
    out = {}
    for direction, signed in (("positive", contributions), ("negative", -contributions)):
        top = (
            np.argpartition(-signed, k - 1, axis=1)[:, :k]
            if k < width
            else np.tile(np.arange(width), (n, 1))
        )
        top_values = np.take_along_axis(signed, top, axis=1)
        order = np.argsort(-top_values, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        top_values = np.take_along_axis(top_values, order, axis=1)
        rows, ranks = np.nonzero(top_values > MIN_IMPACT)  # row-major: by row, then rank
        out[direction] = (rows, ranks, top[rows, ranks])
    return out


def top_factor_rows(
    contributions: np.ndarray,
    inputs: pd.DataFrame,
    features: list[str],
    k: int,
    margin: np.ndarray | None = None,
    readable: Callable[[str], str] = humanize,
) -> pd.DataFrame:
    """Long table of every row's top ``k`` positive and negative factors.

    Args:
        contributions: rows x features, exact contributions to the log-odds.
        inputs: the rows' feature values (columns include ``features``).
        features: the column of ``contributions`` each feature is.
        k: how many of each direction to keep.
        margin: each row's total calibrated log-odds (contributions plus bias); without
            it ``probability_effect`` is missing (NaN).
        readable: a feature's label in words (the use case's own names).

    Returns:
        Columns ``row, direction ('positive'|'negative'), rank (1..k), feature, label,
        value, impact, probability_effect``, ordered by row, direction and rank.
    """
    parts = []
    for direction, (rows, ranks, feature_index) in top_contributions(contributions, k).items():
        parts.append(
            pd.DataFrame(
                {
                    "row": rows,
                    "direction": direction,
                    "rank": ranks + 1,
                    "feature_index": feature_index,
                    "impact": np.round(contributions[rows, feature_index], 4),
                    "probability_effect": np.nan
                    if margin is None
                    else np.round(
                        probability_effect(
                            np.asarray(margin)[rows], contributions[rows, feature_index]
                        ),
                        4,
                    ),
                }
            )
        )
    long = pd.concat(parts, ignore_index=True)
    long["feature"] = np.asarray(features, dtype=object)[long["feature_index"].to_numpy()]
    long["label"] = long["feature"].map({f: readable(f) for f in features})
    long["value"] = ""
    for index in np.unique(long["feature_index"].to_numpy()):
        mask = long["feature_index"].to_numpy() == index
        column = inputs[features[index]]
        long.loc[mask, "value"] = display_values(column.iloc[long.loc[mask, "row"]]).to_numpy()
    return long.drop(columns="feature_index").sort_values(
        ["row", "direction", "rank"], ignore_index=True
    )


def factors_json(long: pd.DataFrame, rows: int) -> np.ndarray:
    """One JSON document per row (``rows`` of them) from :func:`top_factor_rows`'s table.

    Built by DuckDB: a million documents take a second or two, not the minute a Python
    loop over dicts would.
    """
    con = duckdb.connect()
    try:
        con.register("factors", long)
        result = con.execute(
            """
            with all_rows as (select unnest(range(?)) as row),
            grouped as (
                select
                    row,
                    list({'feature': feature, 'label': label, 'value': value, 'impact': impact,
                          'probability_effect': probability_effect}
                         order by rank) filter (where direction = 'positive') as positive,
                    list({'feature': feature, 'label': label, 'value': value, 'impact': impact,
                          'probability_effect': probability_effect}
                         order by rank) filter (where direction = 'negative') as negative
                from factors group by row
            )
            select to_json({'positive': coalesce(positive, []), 'negative': coalesce(negative, [])})
            from all_rows left join grouped using (row)
            order by row
            """,
            [rows],
        ).fetchnumpy()
    finally:
        con.close()
    return next(iter(result.values())).astype(object)


# Lead-model versions registered before this class was shared pickled it as
# ``ml.lead_scoring.model.LeadModel``; with ml.lead_scoring.model.pyfunc.MOVED_MODULES
# mapping that module here, this name lets them load.
LeadModel = ExplainableModel
