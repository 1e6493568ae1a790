"""POST /v1/opportunities/score on a real night: every deal open on the night, sent as the
CRM delivered it, gets the batch's row of ml.opportunity_scores to the last bit, from the
stage win rates (the night's deal model failed its gate: no champion) and from the
champion once one is promoted; a new or changed deal is scored; bad input gets 422
naming the field and the value."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import mlflow
import pytest
from fastapi.testclient import TestClient
from lead_requests import BUSINESS_DATE, TOKEN, deal_request_for

from ml.opportunity_scoring.steps import score_open_deals
from ml.serving.app import NO_DEAL_MODEL, create_app
from ml.serving.config import ServingConfig
from ml.serving.online_log import OnlineInputLog

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
AUTH = {"Authorization": f"Bearer {TOKEN}"}
COLUMNS = (
    "opportunity_id, win_probability, score, expected_value, slip_probability, "
    "expected_close_period, top_factors, model_name, model_version, scoring_method"
)


@pytest.fixture(scope="module")
def client(scorer, holder, deal_scorer, tmp_path_factory):
    online_log = OnlineInputLog(tmp_path_factory.mktemp("deals") / "online.duckdb", 3600)
    app = create_app(scorer, holder, ServingConfig(max_opportunities=400), (TOKEN,), online_log,
                     deals=deal_scorer, background=False)  # fmt: skip
    with TestClient(app) as client:
        yield client


def batch_scores(night) -> dict[str, tuple]:
    rows = night.work(
        f"select {COLUMNS} from ml.opportunity_scores where score_date = ?", [BUSINESS_DATE]
    )
    return {r[0]: r for r in rows}


def deal_request(night, deal_ids: list[str]) -> dict:
    path = night.home / "warehouse" / "work" / "salespipe_work.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        return deal_request_for(con, BUSINESS_DATE, deal_ids)


def assert_same_as_batch(scores: list[dict], batch: dict[str, tuple]) -> None:
    for online in scores:
        deal_id, win, score, value, slip, period, factors, name, version, method = batch[
            online["opportunity_id"]
        ]
        assert online["win_probability"] == win, deal_id  # exact, not approx
        assert online["top_factors"] == json.loads(factors), deal_id
        assert (online["score"], online["expected_value"], online["slip_probability"]) == (
            score, value, slip
        ), deal_id  # fmt: skip
        assert online["expected_close_period"] == period.isoformat(), deal_id  # a date
        assert (online["model_name"], online["model_version"], online["scoring_method"]) == (
            name, version, method
        ), deal_id  # fmt: skip


def test_every_open_deal_scored_online_gets_the_batch_row(night, client):
    batch = batch_scores(night)
    body = deal_request(night, sorted(batch))
    assert len(body["opportunities"]) == len(batch) > 20
    # the night's first deal model failed its gate: the batch scored with stage win rates
    assert {row[9] for row in batch.values()} == {"stage_win_rate"}
    answer = client.post("/v1/opportunities/score", json=body, headers=AUTH)
    assert answer.status_code == 200, answer.text
    scores = answer.json()["scores"]
    assert [s["opportunity_id"] for s in scores] == sorted(batch)
    assert_same_as_batch(scores, batch)
    assert answer.headers["x-model-version"] == next(iter(batch.values()))[8]


def test_one_deal_alone_gets_the_batch_row(night, client):
    batch = batch_scores(night)
    # the deal of the largest expected value, sent alone: its history is the published one
    deal_id = max(batch, key=lambda d: (batch[d][3], d))
    answer = client.post(
        "/v1/opportunities/score", json=deal_request(night, [deal_id]), headers=AUTH
    )
    assert answer.status_code == 200, answer.text
    assert_same_as_batch(answer.json()["scores"], batch)


def test_a_changed_deal_is_scored_as_changed(night, client):
    batch = batch_scores(night)
    deal_id = sorted(batch)[0]
    body = deal_request(night, [deal_id])
    deal = body["opportunities"][0]
    deal["updated_at"] = f"{BUSINESS_DATE.isoformat()}T23:00:00"
    deal["stage"] = "prospecting" if deal["stage"] != "prospecting" else "negotiation"
    deal["close_date"] = "2024-07-01"  # now past its close date: it has slipped
    answer = client.post("/v1/opportunities/score", json=body, headers=AUTH)
    assert answer.status_code == 200, answer.text
    (score,) = answer.json()["scores"]
    assert score["slip_probability"] == 1.0
    assert score["win_probability"] != batch[deal_id][1]


def deal(**overrides) -> dict:
    base = {
        "opportunity_id": "new-1", "account_id": "acc-new", "created_at": "2024-07-10T09:00:00",
        "updated_at": "2024-07-10T09:00:00", "stage": "prospecting", "amount": "12000",
        "close_date": "2024-09-30",
        "activities": [{"activity_id": "na-1", "occurred_at": "2024-07-12T10:00:00",
                        "activity_type": "call", "opportunity_id": "new-1"}],
    }  # fmt: skip
    return {**base, **overrides}


def test_a_new_deal_from_the_crm_is_scored(client):
    answer = client.post(
        "/v1/opportunities/score", json={"as_of": "2024-07-18", "opportunities": [deal()]},
        headers=AUTH,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    (score,) = answer.json()["scores"]
    assert score["opportunity_id"] == "new-1" and 0 < score["win_probability"] < 1
    assert 1 <= score["score"] <= 99 and score["score_date"] == "2024-07-18"
    assert score["expected_value"] == round(score["win_probability"] * 12000, 2)


def test_no_token_gets_401(client):
    body = {"as_of": "2024-07-18", "opportunities": [deal()]}
    assert client.post("/v1/opportunities/score", json=body).status_code == 401


@pytest.mark.parametrize(
    ("change", "field", "value", "message"),
    [
        ({"created_at": "yesterday"}, "opportunities[0].created_at", "yesterday",
         "'yesterday' is not an ISO 8601 timestamp (e.g. 2024-07-18T09:30:00)"),
        ({"amount": "lots"}, "opportunities[0].amount", "lots",
         "'lots' is not an amount (a decimal number)"),
        ({"close_date": "end of Q3"}, "opportunities[0].close_date", "end of Q3",
         "'end of Q3' is not an ISO 8601 date (e.g. 2024-09-30)"),
        ({"close_date": "9999-12-31"}, "opportunities[0].close_date", "9999-12-31",
         "'9999-12-31' is not a date from 1900-01-01 to 2199-12-31"),
        ({"amount": True}, "opportunities[0].amount", True,
         "True is not an amount (a decimal number)"),
        ({"activities": [{"activity_id": "x", "occurred_at": "2024-07-12T10:00:00",
                          "activity_type": "call", "opportunity_id": "other"}]},
         "opportunities[0]", "new-1",
         "activities[0] names neither this deal (opportunity_id 'new-1') nor its account "
         "(account_id 'acc-new'): send the deal's and its account's activities"),
    ],
)  # fmt: skip
def test_a_bad_value_gets_422_naming_the_field_and_the_value(client, change, field, value, message):
    answer = client.post(
        "/v1/opportunities/score",
        json={"as_of": "2024-07-18", "opportunities": [deal(**change)]},
        headers=AUTH,
    )
    assert answer.status_code == 422
    error = answer.json()["errors"][0]
    assert (error["field"], error["value"], error["message"]) == (field, value, message)
    assert answer.json()["detail"] == f"{field}: {message} (got {value!r})"


def test_a_closed_deal_a_repeated_one_and_too_many_get_422(client):
    closed = client.post(
        "/v1/opportunities/score",
        json={"as_of": "2024-07-18", "opportunities": [deal(stage="closed_won")]},
        headers=AUTH,
    )
    assert closed.status_code == 422
    assert closed.json()["detail"] == (
        "opportunities[0]: deal 'new-1' is not open as of 2024-07-18 (stage 'closed_won', "
        "created_at '2024-07-10T09:00:00', updated_at '2024-07-10T09:00:00'): only deals "
        "created and last updated on or before as_of, in a stage that is not closed, are scored"
    )
    twice = client.post(
        "/v1/opportunities/score",
        json={"as_of": "2024-07-18", "opportunities": [deal(), deal()]},
        headers=AUTH,
    )
    assert (twice.status_code, twice.json()["detail"]) == (
        422, "opportunities[1].opportunity_id: 'new-1' appears twice in the request"
    )  # fmt: skip
    many = [deal(opportunity_id=f"d-{i}", activities=[]) for i in range(401)]
    too_many = client.post(
        "/v1/opportunities/score", json={"as_of": "2024-07-18", "opportunities": many},
        headers=AUTH,
    )  # fmt: skip
    assert (too_many.status_code, too_many.json()["detail"]) == (
        422, "opportunities: 401 deals in one request, more than serving.max_opportunities "
        "(400); send them in batches",
    )  # fmt: skip


def test_the_spec_declares_the_deal_request(client):
    spec = client.get("/openapi.json").json()
    request = spec["components"]["schemas"]["DealScoreRequest"]
    assert set(request["required"]) == {"as_of", "opportunities"}
    assert "DealScoreResponse" in spec["components"]["schemas"]


def test_switched_off_deal_scoring_answers_501(scorer, holder, tmp_path: Path):
    online_log = OnlineInputLog(tmp_path / "online.duckdb", 3600)
    app = create_app(scorer, holder, ServingConfig(), (TOKEN,), online_log, background=False)
    with TestClient(app) as client:
        answer = client.post("/v1/opportunities/score", json={}, headers=AUTH)
    assert (answer.status_code, answer.json()["detail"]) == (501, NO_DEAL_MODEL)


def test_with_a_champion_deals_get_the_batchs_model_scores(night, client, deal_scorer):
    """Last in the module: it promotes the night's deal model and scores the night again in
    the batch (tests/conftest.py restores the night after the module)."""
    uri = night.settings.mlflow_tracking_uri
    mlflow_client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    (version,) = mlflow_client.search_model_versions("name='opportunity_scoring'")
    # promoted by hand with an approval, as `salespipe models promote --reason` records it
    for tag, value in (("approved_by", "tests"), ("approval_reason", "online against batch")):
        mlflow_client.set_model_version_tag("opportunity_scoring", version.version, tag, value)
    mlflow_client.set_registered_model_alias("opportunity_scoring", "champion", version.version)
    try:
        outcome = score_open_deals(BUSINESS_DATE, night.settings)
        assert (outcome.scoring_method, outcome.model_version) == ("model", str(version.version))
        assert deal_scorer.champion.check() is True
        batch = batch_scores(night)
        body = deal_request(night, sorted(batch))
        answer = client.post("/v1/opportunities/score", json=body, headers=AUTH)
        assert answer.status_code == 200, answer.text
        scores = answer.json()["scores"]
        assert {s["scoring_method"] for s in scores} == {"model"}
        assert_same_as_batch(scores, batch)
        assert answer.headers["x-model-version"] == str(version.version)
    finally:
        mlflow_client.delete_registered_model_alias("opportunity_scoring", "champion")
        deal_scorer.champion.check()
