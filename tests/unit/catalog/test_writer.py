"""The catalog's one writer, on a real DuckDB file: declared shape, suite, partitions."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd
import pytest

from ml.catalog import (
    TABLES,
    CatalogWriteError,
    Write,
    erase_rows,
    transaction,
    write_partition,
    write_partitions,
)
from ml.quality import QualityGateError

DAY = date(2025, 3, 3)


def scores(day: date, n: int = 3, probability: float = 0.25) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(n)],
            "score_date": [day] * n,
            "conversion_probability": [probability] * n,
            "score": [round(probability * 100)] * n,
            "percentile": [100.0 * (i + 1) / n for i in range(n)],
            "grade": ["A", "B", "C"][:n],
            "top_factors": ['{"positive": [], "negative": []}'] * n,
            "model_name": ["lead_scoring"] * n,
            "model_version": ["1"] * n,
            "scoring_method": ["model"] * n,
            "scored_at": [datetime(2025, 3, 4, 1, 0)] * n,
            "is_stale": [False] * n,
        }
    )


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "work.duckdb"))
    yield connection
    connection.close()


def table(con, name: str) -> list[tuple]:
    return con.execute(f"select * from {name} order by all").fetchall()


def test_first_write_creates_the_table_from_its_declaration(con):
    assert write_partition(con, "ml.lead_scores", scores(DAY), {"score_date": DAY}) == 3
    types = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'ml' and table_name = 'lead_scores' order by ordinal_position"
    ).fetchall()
    declared = TABLES["ml.lead_scores"].columns
    assert [name for name, _ in types] == [c.name for c in declared]
    assert [kind for _, kind in types] == [c.type.upper() for c in declared]


def test_rewriting_a_partition_gives_the_same_table(con):
    write_partition(con, "ml.lead_scores", scores(DAY), {"score_date": DAY})
    write_partition(
        con, "ml.lead_scores", scores(date(2025, 3, 4)), {"score_date": date(2025, 3, 4)}
    )
    once = table(con, "ml.lead_scores")
    write_partition(con, "ml.lead_scores", scores(DAY), {"score_date": DAY})
    assert table(con, "ml.lead_scores") == once
    assert len(once) == 6  # the other date is untouched


def test_a_partition_is_replaced_not_appended(con):
    write_partition(con, "ml.lead_scores", scores(DAY, n=3), {"score_date": DAY})
    write_partition(con, "ml.lead_scores", scores(DAY, n=2, probability=0.5), {"score_date": DAY})
    rows = con.execute("select lead_id, conversion_probability from ml.lead_scores").fetchall()
    assert sorted(rows) == [("L0", 0.5), ("L1", 0.5)]


def test_a_frame_failing_the_suite_leaves_the_old_partition(con):
    write_partition(con, "ml.lead_scores", scores(DAY), {"score_date": DAY})
    before = table(con, "ml.lead_scores")
    bad = scores(DAY, probability=0.5).assign(conversion_probability=[0.5, 1.5, 0.5])
    with pytest.raises(QualityGateError, match="conversion_probability"):
        write_partition(con, "ml.lead_scores", bad, {"score_date": DAY})
    assert table(con, "ml.lead_scores") == before


def test_a_missing_grain_column_is_named(con):
    with pytest.raises(CatalogWriteError) as error:
        write_partition(con, "ml.lead_scores", scores(DAY).drop(columns="lead_id"))
    assert str(error.value) == (
        "ml.lead_scores needs the column(s) 'lead_id' "
        "(its grain lead_id, score_date; partition key score_date)."
    )


def test_an_undeclared_column_is_named(con):
    with pytest.raises(CatalogWriteError) as error:
        write_partition(con, "ml.lead_scores", scores(DAY).assign(lead_score=1))
    assert str(error.value).startswith(
        "ml.lead_scores has no column 'lead_score'; its columns are: lead_id, score_date, "
    )


def test_a_value_of_the_wrong_type_is_named(con):
    write_partition(con, "ml.lead_scores", scores(DAY), {"score_date": DAY})
    before = table(con, "ml.lead_scores")
    bad = scores(DAY).astype({"scored_at": object})
    bad.loc[1, "scored_at"] = "yesterday"
    with pytest.raises(CatalogWriteError) as error:
        write_partition(con, "ml.lead_scores", bad, {"score_date": DAY})
    assert str(error.value) == (
        "ml.lead_scores.scored_at must be TIMESTAMP: 1 of 3 value(s) are not, e.g. 'yesterday'."
    )
    assert table(con, "ml.lead_scores") == before


def test_rows_outside_the_partition_are_refused(con):
    with pytest.raises(CatalogWriteError) as error:
        write_partition(con, "ml.lead_scores", scores(DAY), {"score_date": date(2025, 3, 4)})
    assert str(error.value) == (
        "ml.lead_scores: 3 row(s) fall outside the partition "
        "{'score_date': datetime.date(2025, 3, 4)} being replaced."
    )


def test_an_undeclared_table_is_refused(con):
    with pytest.raises(KeyError, match="ml.lead_scorez is not a declared table; declared: "):
        write_partition(con, "ml.lead_scorez", scores(DAY))


def test_an_empty_frame_empties_its_partition(con):
    write_partition(con, "ml.lead_scores", scores(DAY), {"score_date": DAY})
    write_partition(con, "ml.lead_scores", scores(DAY).iloc[:0], {"score_date": DAY})
    assert table(con, "ml.lead_scores") == []


def test_several_tables_are_written_in_one_transaction(con):
    night = {"run_date": DAY, "model_name": "lead_scoring"}
    drift = pd.DataFrame(
        {"run_date": [DAY], "model_name": ["lead_scoring"], "feature": ["source"],
         "drift_score": [0.1], "threshold": [0.05], "drifted": [False]}
    )  # fmt: skip
    broken_run = pd.DataFrame(
        {"run_date": [DAY], "model_name": ["lead_scoring"], "features": ["x"]}
    )
    with pytest.raises(CatalogWriteError, match="monitoring.drift_runs.features must be BIGINT"):
        write_partitions(
            con,
            [
                Write("monitoring.drift", drift, night),
                Write("monitoring.drift_runs", broken_run, night),
            ],
        )
    assert con.execute(
        "select count(*) from information_schema.tables where table_name = 'drift'"
    ).fetchall() == [(0,)]  # nothing written, not even the first table


def test_a_write_inside_a_transaction_rolls_back_with_it(con):
    write_partition(con, "ml.lead_scores", scores(DAY), {"score_date": DAY})
    before = table(con, "ml.lead_scores")
    with pytest.raises(RuntimeError), transaction(con):
        write_partition(con, "ml.lead_scores", scores(DAY, n=1), {"score_date": DAY})
        erase_rows(con, "ml.lead_scores", "lead_id = ?", ["L1"])
        raise RuntimeError("the caller failed after writing")
    assert table(con, "ml.lead_scores") == before


def test_erasure_deletes_or_blanks_rows(con):
    write_partition(con, "ml.lead_scores", scores(DAY), {"score_date": DAY})
    erase_rows(con, "ml.lead_scores", "lead_id = ?", ["L0"])
    erase_rows(con, "ml.lead_scores", "lead_id = ?", ["L1"], null_columns=["top_factors"])
    rows = con.execute(
        "select lead_id, top_factors is null from ml.lead_scores order by 1"
    ).fetchall()
    assert rows == [("L1", True), ("L2", False)]


def test_erasure_is_only_for_the_output_schemas(con):
    with pytest.raises(ValueError) as error:
        erase_rows(con, "marts.lead_features", "lead_id = ?", ["L0"])
    assert str(error.value) == (
        "marts.lead_features is not in an output schema (ml, monitoring, quarantine): "
        "the catalog erases only what it writes."
    )
