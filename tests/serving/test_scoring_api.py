"""The scoring API on a real night: online scores are the batch's, to the last bit; the
errors say exactly what was wrong; online inputs reach the monitoring table; a moved
champion is picked up without a failed request."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import duckdb
import mlflow
import pytest
from fastapi.testclient import TestClient
from lead_requests import BUSINESS_DATE, TOKEN, request_for

from ml.serving.app import MISSING_TOKEN, WRONG_TOKEN, create_app
from ml.serving.config import ServingConfig
from ml.serving.online_log import OnlineInputLog, read_online_inputs

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def log_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("online") / "online_inputs.duckdb"


@pytest.fixture(scope="module")
def client(scorer, holder, log_path):
    online_log = OnlineInputLog(log_path, flush_seconds=3600)
    app = create_app(
        scorer, holder, ServingConfig(max_body_bytes=3_000_000), (TOKEN,), online_log,
        background=False,
    )  # fmt: skip
    with TestClient(app) as client:
        client.online_log = online_log
        yield client


@pytest.fixture(scope="module")
def batch(night):
    rows = night.work(
        "select lead_id, conversion_probability, top_factors, score, percentile, grade, "
        "is_stale, model_name, model_version from ml.lead_scores where score_date = ?",
        [BUSINESS_DATE],
    )
    return {r[0]: r for r in rows}


def raw_request(night, lead_ids: list[str]) -> dict:
    path = night.home / "warehouse" / "work" / "salespipe_work.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        return request_for(con, BUSINESS_DATE, lead_ids)


def assert_same_as_batch(scores: list[dict], batch: dict) -> None:
    for online in scores:
        lead_id, probability, factors, score, percentile, grade, stale, name, version = batch[
            online["lead_id"]
        ]
        assert online["conversion_probability"] == probability, lead_id  # exact, not approx
        assert online["top_factors"] == json.loads(factors), lead_id
        assert (online["score"], online["percentile"], online["grade"]) == (
            score, percentile, grade
        ), lead_id  # fmt: skip
        assert (online["is_stale"], online["model_name"], online["model_version"]) == (
            stale, name, version
        )  # fmt: skip


def test_every_open_lead_scored_online_gets_the_batch_score_and_factors(night, client, batch):
    body = raw_request(night, sorted(batch))
    assert len(body["leads"]) == len(batch) > 300
    answer = client.post("/v1/leads/score", json=body, headers=AUTH)
    assert answer.status_code == 200, answer.text
    scores = answer.json()["scores"]
    assert [s["lead_id"] for s in scores] == [lead["lead_id"] for lead in body["leads"]]
    assert_same_as_batch(scores, batch)
    assert {s["grade"] for s in scores if not s["is_stale"]} == {"A", "B", "C", "D"}


def test_one_lead_alone_gets_the_same_score_as_in_the_batch(night, client, batch):
    top = max(batch.values(), key=lambda r: r[1])[0]
    answer = client.post("/v1/leads/score", json=raw_request(night, [top]), headers=AUTH)
    assert answer.status_code == 200, answer.text
    assert_same_as_batch(answer.json()["scores"], batch)
    assert answer.headers["x-model-version"] == batch[top][8]


def test_online_inputs_reach_the_monitoring_table_as_the_models_columns(
    night, client, batch, log_path, holder
):
    lead_ids = sorted(batch)[:5]
    client.post("/v1/leads/score", json=raw_request(night, lead_ids), headers=AUTH)
    client.online_log.flush()
    rows = read_online_inputs(log_path, BUSINESS_DATE)
    mine = rows[rows["lead_id"].isin(lead_ids)].drop_duplicates("lead_id", keep="last")
    assert sorted(mine["lead_id"]) == lead_ids
    assert set(holder.current.model.spec.columns) <= set(rows.columns)
    for _, row in mine.iterrows():
        assert row["conversion_probability"] == batch[row["lead_id"]][1]
        assert row["model_version"] == batch[row["lead_id"]][8]


def lead(**overrides) -> dict:
    base = {
        "lead_id": "web-1", "created_at": "2024-07-10T09:00:00",
        "updated_at": "2024-07-10T09:00:00", "source": "web", "status": "open",
        "email": "ana@example.com", "employees": 40,
        "activities": [{"activity_id": "a-1", "occurred_at": "2024-07-12T10:00:00",
                        "activity_type": "web_visit"}],
    }  # fmt: skip
    return {**base, **overrides}


def test_a_new_lead_from_a_form_is_scored(client):
    answer = client.post(
        "/v1/leads/score", json={"as_of": "2024-07-18", "leads": [lead()]}, headers=AUTH
    )
    assert answer.status_code == 200, answer.text
    (score,) = answer.json()["scores"]
    assert score["lead_id"] == "web-1" and 0 < score["conversion_probability"] < 1
    assert score["grade"] in {"A", "B", "C", "D"} and 0 < score["percentile"] <= 100
    assert score["top_factors"]["positive"] or score["top_factors"]["negative"]


def test_no_token_or_a_wrong_one_gets_401(client):
    body = {"as_of": "2024-07-18", "leads": [lead()]}
    missing = client.post("/v1/leads/score", json=body)
    assert missing.status_code == 401
    assert missing.json()["detail"] == MISSING_TOKEN
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = client.post("/v1/leads/score", json=body, headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.json()["detail"]) == (401, WRONG_TOKEN)
    assert client.post("/v1/opportunities/score", json={}).status_code == 401


@pytest.mark.parametrize(
    ("change", "field", "value", "message"),
    [
        ({"created_at": "yesterday"}, "leads[0].created_at", "yesterday",
         "'yesterday' is not an ISO 8601 timestamp (e.g. 2024-07-18T09:30:00)"),
        ({"status": "won"}, "leads[0].status", "won",
         "'won' is not a lead status (open, working, qualified, disqualified, converted)"),
        ({"employees": "lots"}, "leads[0].employees", "lots", "'lots' is not a whole number"),
    ],
)  # fmt: skip
def test_a_bad_value_gets_422_naming_the_field_and_the_value(client, change, field, value, message):
    answer = client.post(
        "/v1/leads/score", json={"as_of": "2024-07-18", "leads": [lead(**change)]}, headers=AUTH
    )
    assert answer.status_code == 422
    error = answer.json()["errors"][0]
    assert (error["field"], error["value"], error["message"]) == (field, value, message)
    assert answer.json()["detail"] == f"{field}: {message} (got {value!r})"


def test_a_bad_date_and_a_lead_not_open_get_422(client):
    bad_date = client.post(
        "/v1/leads/score", json={"as_of": "2024-13-01", "leads": [lead()]}, headers=AUTH
    )
    assert bad_date.status_code == 422
    assert bad_date.json()["errors"][0]["field"] == "as_of"
    assert bad_date.json()["errors"][0]["value"] == "2024-13-01"
    closed = client.post(
        "/v1/leads/score",
        json={"as_of": "2024-07-18", "leads": [lead(status="disqualified")]},
        headers=AUTH,
    )
    assert closed.status_code == 422
    assert closed.json()["detail"] == (
        "leads[0]: lead 'web-1' is not open as of 2024-07-18 (status 'disqualified', "
        "created_at '2024-07-10T09:00:00', updated_at '2024-07-10T09:00:00'): only leads "
        "created and last updated on or before as_of, with status open, working or "
        "qualified, are scored"
    )


def test_a_body_over_the_limit_gets_413(client):
    body = {"as_of": "2024-07-18", "leads": [lead(lead_id=f"l-{i}", title="x" * 400)
                                              for i in range(8_000)]}  # fmt: skip
    answer = client.post("/v1/leads/score", json=body, headers=AUTH)
    assert answer.status_code == 413
    assert answer.json()["detail"] == (
        "Request body is larger than the limit of 3,000,000 bytes (serving.max_body_bytes): "
        "send fewer leads per request."
    )


def test_the_openapi_spec_is_served(client):
    spec = client.get("/openapi.json").json()
    assert {"/v1/leads/score", "/v1/opportunities/score"} <= set(spec["paths"])
    request = spec["components"]["schemas"]["LeadScoreRequest"]
    assert set(request["required"]) == {"as_of", "leads"}


def test_a_moved_champion_is_served_without_a_failed_request(night, client, holder, batch):
    """Register the champion's model again as v2, move the alias, and score all along."""
    uri = night.settings.mlflow_tracking_uri
    mlflow_client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    current = mlflow_client.get_model_version_by_alias("lead_scoring", "champion")
    body = raw_request(night, sorted(batch)[:3])
    statuses: list[int] = []
    versions: set[str] = set()
    stop = threading.Event()

    def keep_scoring() -> None:
        while not stop.is_set():
            answer = client.post("/v1/leads/score", json=body, headers=AUTH)
            statuses.append(answer.status_code)
            versions.add(answer.headers.get("x-model-version", ""))

    moved = mlflow_client.create_model_version(
        "lead_scoring", current.source, run_id=current.run_id
    )
    worker = threading.Thread(target=keep_scoring)
    worker.start()
    try:
        mlflow_client.set_registered_model_alias("lead_scoring", "champion", moved.version)
        assert holder.check() is True
        assert holder.current.version == str(moved.version)
        after = client.post("/v1/leads/score", json=body, headers=AUTH)
        assert after.headers["x-model-version"] == str(moved.version)
    finally:
        stop.set()
        worker.join()
        mlflow_client.set_registered_model_alias("lead_scoring", "champion", current.version)
        holder.check()
    assert statuses and set(statuses) == {200}
    assert versions <= {str(current.version), str(moved.version)}
    assert holder.current.version == str(current.version)
