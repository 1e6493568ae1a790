"""Alias moves against a real MLflow registry (SQLite): history, hand moves, rollback."""

from __future__ import annotations

import duckdb
import mlflow
import pytest

from ml.catalog import write_partition
from ml.registry import aliases, history
from ml.registry.aliases import NoPreviousChampionError, alias_version

NAME = "lead_scoring"


@pytest.fixture
def registry(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model(NAME)
    for _ in range(4):  # versions that passed their gate (a hand move needs no approval)
        version = client.create_model_version(NAME, source=str(tmp_path)).version
        client.set_model_version_tag(NAME, version, "validation_status", "promoted")
    con = duckdb.connect()
    yield client, con
    con.close()


# The registry returns the moves it made; like a step, each call here writes them.
def record(con, moves):
    write_partition(con, history.PROMOTIONS, history.moves_frame(moves))


def notice_manual_moves(client, con, name):
    current, moves = aliases.notice_manual_moves(client, con, name)
    record(con, moves)
    return current


def rollback_champion(client, con, name):
    moved, moves = aliases.rollback_champion(client, con, name)
    record(con, moves)
    return moved


def promote_by_hand(client, con, name, version, reason, actor):
    previous, moves = aliases.promote_by_hand(client, con, name, version, reason, actor)
    record(con, moves)
    return previous


def promote(client, con, version):
    record(con, [aliases.move_alias(client, model_name=NAME, alias="champion", version=version,
                                    action=history.PROMOTE, moved_by="promotion gate",
                                    reason="test")])  # fmt: skip


def moves(con):
    return con.execute(
        "select action, from_version, to_version from monitoring.model_promotions "
        "where alias = 'champion' order by moved_at, rowid"
    ).fetchall()


def test_every_move_is_recorded_with_from_and_to(registry):
    client, con = registry
    promote(client, con, "1")
    promote(client, con, "2")
    assert alias_version(client, NAME, "champion") == "2"
    assert moves(con) == [("promote", None, "1"), ("promote", "1", "2")]


def test_a_move_in_the_mlflow_ui_is_noticed_and_recorded(registry):
    client, con = registry
    promote(client, con, "1")
    client.set_registered_model_alias(NAME, "champion", "3")  # what the UI does
    assert notice_manual_moves(client, con, NAME) == "3"
    assert moves(con)[-1] == ("manual", "1", "3")
    assert notice_manual_moves(client, con, NAME) == "3"  # noticed once, not every run
    assert len(moves(con)) == 2


def test_rollback_walks_back_through_champions_not_toggling(registry):
    client, con = registry
    for version in ("1", "2", "3"):
        promote(client, con, version)
    assert rollback_champion(client, con, NAME) == ("3", "2")
    assert rollback_champion(client, con, NAME) == ("2", "1")
    assert alias_version(client, NAME, "champion") == "1"
    assert moves(con)[-1] == ("rollback", "2", "1")
    with pytest.raises(
        NoPreviousChampionError,
        match="lead_scoring has no earlier champion to roll back to \\(champion history: 1\\)",
    ):  # noqa: E501
        rollback_champion(client, con, NAME)


def test_rollback_after_a_hand_promotion_returns_to_the_champion_before_it(registry):
    client, con = registry
    promote(client, con, "1")
    client.set_registered_model_alias(NAME, "champion", "4")
    assert rollback_champion(client, con, NAME) == ("4", "1")


def test_rollback_without_any_champion_says_how_to_promote(registry):
    client, con = registry
    with pytest.raises(NoPreviousChampionError, match="set its 'champion' alias in the MLflow UI"):
        rollback_champion(client, con, NAME)


def failed_gate(client, version):
    client.set_model_version_tag(NAME, version, "validation_status", "rejected")
    client.set_model_version_tag(NAME, version, "gate_decision", "failed calibration: ECE 0.2")


def test_a_hand_move_to_a_gate_failed_version_needs_who_and_why(registry):
    client, con = registry
    promote(client, con, "1")
    failed_gate(client, "2")
    client.set_registered_model_alias(NAME, "champion", "2")  # the UI, or the REST API
    assert notice_manual_moves(client, con, NAME) == "1"
    assert alias_version(client, NAME, "champion") == "1"
    assert moves(con)[-1] == ("refused", "1", "2")
    (reason,) = con.execute(
        "select reason from monitoring.model_promotions where action = 'refused'"
    ).fetchall()[0]
    assert reason.startswith(
        "lead_scoring v2 was made champion outside salespipe without an approval, and it did "
        "not pass its promotion gate (failed calibration: ECE 0.2). Refused: champion stays v1."
    )
    assert history.champion_stack(con, NAME) == ["1"]  # a refusal is not a champion

    client.set_model_version_tag(NAME, "2", "approved_by", "ana")  # who and why, in the UI
    client.set_model_version_tag(NAME, "2", "approval_reason", "checked by hand")
    client.set_registered_model_alias(NAME, "champion", "2")
    assert notice_manual_moves(client, con, NAME) == "2"
    assert moves(con)[-1] == ("manual", "1", "2")


def test_promote_by_hand_keeps_who_and_why_and_a_refusal_without_champion_unsets(registry):
    client, con = registry
    failed_gate(client, "3")
    client.set_registered_model_alias(NAME, "champion", "3")
    assert notice_manual_moves(client, con, NAME) is None  # no earlier champion: none
    assert alias_version(client, NAME, "champion") is None

    promote(client, con, "1")
    failed_gate(client, "2")
    with pytest.raises(ValueError, match="--reason must say why"):
        promote_by_hand(client, con, NAME, "2", "  ", "ana")
    with pytest.raises(ValueError, match="lead_scoring has no version 9."):
        promote_by_hand(client, con, NAME, "9", "why", "ana")
    assert promote_by_hand(client, con, NAME, "2", "checked by hand", "ana") == "1"
    tags = client.get_model_version(NAME, "2").tags
    assert (tags["approved_by"], tags["approval_reason"]) == ("ana", "checked by hand")
    assert notice_manual_moves(client, con, NAME) == "2"  # accepted by the next run
    assert moves(con)[-1] == ("promote", "1", "2")
