"""Each scored row's top positive and negative factors, from exact contributions.

A factor is one feature of the row (a lead, a deal), its value there and its contribution
to the row's calibrated log-odds ("impact"), and the same on the probability scale
("probability_effect": the row's probability minus the probability it would have
without this one contribution, the others unchanged; 0.12 means 12 points). The top
``k`` positive and ``k`` negative are kept; a feature that pushed by less than
``MIN_IMPACT`` is not a reason. ``top_factors`` is JSON so any BI tool can read it::

    {"positive": [{"feature": "activities_demo", "label": "Demos held", "value": "2",
                   "impact": 0.83, "probability_effect": 0.121}, ...],
     "negative": [...]}
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np
import pandas as pd

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
    n, width = contributions.shape
    k = min(k, width)
    parts = []
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
        rows, ranks = np.nonzero(top_values > MIN_IMPACT)
        feature_index = top[rows, ranks]
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
