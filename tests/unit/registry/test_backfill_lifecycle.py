"""A backfill behind the live champion never uses a model trained on its future, against a
real MLflow registry (SQLite): which version serves a date, whether training is due, and
what the gate does for an earlier date."""

from __future__ import annotations

from datetime import date

import duckdb
import mlflow
import pytest

from ml.registry.aliases import alias_version
from ml.registry.gate import GateDecision
from ml.registry.lifecycle import champion_for, gate_new_version, training_due

NAME = "lead_scoring"
D1, D2, D9 = date(2025, 3, 30), date(2025, 3, 31), date(2025, 4, 8)


@pytest.fixture
def client(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model(NAME)
    return client


def register(client, trained_for: date, status: str) -> str:
    version = client.create_model_version(NAME, source="/tmp").version
    client.set_model_version_tag(NAME, version, "business_date", trained_for.isoformat())
    client.set_model_version_tag(NAME, version, "validation_status", status)
    return str(version)


def gate(client, version: str, business_date: date, promote: bool):
    seen = []

    def decide(champion):
        seen.append(champion)
        return GateDecision(promote, "test verdict")

    with duckdb.connect() as con:
        decision, moves = gate_new_version(
            client, con, model_name=NAME, version=version, business_date=business_date,
            trigger="test", decide=decide,
        )  # fmt: skip
    return decision, moves, seen


def test_the_live_champion_serves_its_own_date_and_later_ones(client):
    v1 = register(client, D1, "promoted")
    client.set_registered_model_alias(NAME, "champion", v1)
    assert champion_for(client, NAME, D1, v1) == v1
    assert champion_for(client, NAME, D9, v1) == v1


def test_a_date_before_the_champion_gets_the_newest_earlier_promoted_version(client):
    v1 = register(client, D1, "promoted")
    register(client, D1, "rejected")
    v3 = register(client, D9, "promoted")
    client.set_registered_model_alias(NAME, "champion", v3)
    assert champion_for(client, NAME, D2, v3) == v1
    assert champion_for(client, NAME, date(2025, 3, 1), v3) is None


def test_a_fresh_install_run_for_d2_first_trains_again_for_d1(client):
    v1 = register(client, D2, "promoted")
    client.set_registered_model_alias(NAME, "champion", v1)
    # the champion learnt from D2: D1 may not use it, and nothing earlier exists
    assert training_due(client, NAME, D1, every_days=7) == f"no champion as of {D1}"
    assert training_due(client, NAME, D2, every_days=7) is None  # a re-run of D2


def test_a_version_trained_for_a_later_date_does_not_make_an_earlier_one_fresh(client):
    v1 = register(client, date(2025, 3, 1), "promoted")
    v2 = register(client, D9, "promoted")
    client.set_registered_model_alias(NAME, "champion", v2)
    # D2 is 30 days after the last model trained on or before it: due, whatever D9 did
    assert champion_for(client, NAME, D2, v2) == v1
    assert training_due(client, NAME, D2, every_days=7) == (
        "last trained for 2025-03-01, retraining every 7 days"
    )


def test_a_backfill_is_gated_against_the_champion_as_of_its_date_and_moves_no_alias(client):
    live = register(client, D2, "promoted")
    client.set_registered_model_alias(NAME, "champion", live)
    backfill = client.create_model_version(NAME, source="/tmp").version
    client.set_model_version_tag(NAME, backfill, "business_date", D1.isoformat())
    decision, moves, seen = gate(client, str(backfill), D1, promote=True)
    assert decision.promote and moves == [] and seen == [None]
    assert alias_version(client, NAME, "champion") == live
    assert alias_version(client, NAME, "challenger") is None
    tags = client.get_model_version(NAME, backfill).tags
    assert tags["validation_status"] == "promoted" and tags["gate_decision"] == "test verdict"
    # the next run of D1 scores with it, and trains nothing
    assert champion_for(client, NAME, D1, live) == str(backfill)
    assert training_due(client, NAME, D1, every_days=7) is None


def test_a_new_date_moves_the_aliases_as_before(client):
    v1 = register(client, D1, "promoted")
    client.set_registered_model_alias(NAME, "champion", v1)
    v2 = client.create_model_version(NAME, source="/tmp").version
    client.set_model_version_tag(NAME, v2, "business_date", D9.isoformat())
    decision, moves, seen = gate(client, str(v2), D9, promote=True)
    assert seen == [v1]
    # (the hand-set champion above is noticed as a manual move in between)
    assert (moves[0].alias, moves[0].to_version) == ("challenger", str(v2))
    assert (moves[-1].alias, moves[-1].to_version) == ("champion", str(v2))
    assert alias_version(client, NAME, "champion") == str(v2)
