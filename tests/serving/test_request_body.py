"""The column-wise request reader against the pydantic models it stands in for: on every
open lead of the night and on each field of a lead and an activity given every kind of
value, a body the reader accepts is one the models accept, with the very same columns;
every other body gets the models' own 422 errors."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest
from fastapi.exceptions import RequestValidationError
from lead_requests import BUSINESS_DATE, request_for

from ml.serving import request_body
from ml.serving.request_body import LeadRequest, _by_pydantic, _fast, _Unsure, read_lead_request
from ml.serving.schemas import Activity, Lead

LEAD = {
    "lead_id": "web-1", "created_at": "2024-07-10T09:00:00", "updated_at": "2024-07-10T09:00:00",
    "source": "web", "status": "open", "email": "ana@example.com", "employees": 40,
    "attr_budget": 1200.5,
    "activities": [
        {"activity_id": "a-1", "occurred_at": "2024-07-12T10:00:00Z", "activity_type": "web_visit",
         "duration_seconds": " 30 "},
        {"activity_id": "a-2", "occurred_at": "2024-07-13T10:00:00+02:00", "activity_type": "call",
         "lead_id": "web-1", "duration_seconds": None},
    ],
}  # fmt: skip
VALUES = [
    None, "", "  ", "x", "x" * 201, "x" * 321, 5, -5, 5.0, 5.5, True, [], {}, "2024-07-18",
    "2024-07-18T09:30:00Z", " 2024-07-18 ", "2024-13-01", "yesterday", "open", " Working ",
    "won", "12", " 12 ", "-3", "1.5", "1e3", "web-1", "web-2", 10**30,
]  # fmt: skip


def body(request: dict) -> bytes:
    return json.dumps(request).encode()


def outcome(raw: bytes) -> LeadRequest | list[dict]:
    """The pydantic models' columns for ``raw``, or their errors."""
    try:
        return _by_pydantic(raw)
    except RequestValidationError as exc:
        return comparable(exc)


def comparable(exc: RequestValidationError) -> list[dict]:
    """The errors, a ValueError in their context by its text (exceptions compare by id)."""
    return [{**e, "ctx": repr(e["ctx"])} if "ctx" in e else e for e in exc.errors()]


def assert_reader_agrees(raw: bytes) -> bool:
    """The reader answers as the models do; True when its column-wise path decided."""
    expected = outcome(raw)
    try:
        fast = _fast(raw)
    except _Unsure:
        fast = None
    if fast is not None:
        assert fast == expected, raw
    try:
        assert read_lead_request(raw) == expected
    except RequestValidationError as exc:
        assert comparable(exc) == expected
    return fast is not None


def test_a_usual_request_is_read_column_wise_into_the_models_columns():
    raw = body({"as_of": "2024-07-18", "leads": [LEAD, {**LEAD, "lead_id": "web-2",
                                                          "activities": []}]})  # fmt: skip
    assert assert_reader_agrees(raw)
    read = read_lead_request(raw)
    assert read.as_of == date(2024, 7, 18)
    assert read.leads["employees"] == ["40", "40"] and read.leads["attr_budget"] == ["1200.5"] * 2
    assert read.activities["duration_seconds"] == ["30", None]
    assert read.activities["lead_id"] == ["web-1", "web-1"]


@pytest.mark.parametrize("field", [f for f in Lead.model_fields if f != "activities"]
                         + ["attr_score", "Attr_bad", "unknown"])  # fmt: skip
def test_every_value_of_every_lead_field_is_judged_as_the_models_judge_it(field):
    decided = [
        assert_reader_agrees(body({"as_of": "2024-07-18", "leads": [{**LEAD, field: value}]}))
        for value in VALUES
    ]
    assert any(decided) or field in {"Attr_bad", "unknown"}
    missing = {k: v for k, v in LEAD.items() if k != field}
    assert_reader_agrees(body({"as_of": "2024-07-18", "leads": [missing]}))


@pytest.mark.parametrize("field", list(Activity.model_fields) + ["unknown"])
def test_every_value_of_every_activity_field_is_judged_as_the_models_judge_it(field):
    first = LEAD["activities"][0]
    for value in VALUES:
        lead = {**LEAD, "activities": [{**first, field: value}]}
        assert_reader_agrees(body({"as_of": "2024-07-18", "leads": [lead]}))
    lead = {**LEAD, "activities": [{k: v for k, v in first.items() if k != field}]}
    assert_reader_agrees(body({"as_of": "2024-07-18", "leads": [lead]}))


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"[]", b"null", b'"x"', b'{"as_of": "2024-07-18"}', b'{"leads": []}',
     b'{"as_of": "2024-07-18", "leads": []}', b'{"as_of": "2024-W29-4", "leads": [{}]}',
     b'{"as_of": 20240718, "leads": [{}]}', b'{"as_of": "2024-07-18", "leads": {}}',
     b'{"as_of": "2024-07-18", "leads": [1]}', b'{"as_of": "2024-07-18", "leads": [], "x": 1}',
     b'{"as_of": "2024-07-18", "leads": [{"attr_x": NaN}]}', b"\xff\xfe"],
)  # fmt: skip
def test_a_body_that_is_not_a_request_gets_the_models_errors(raw):
    assert not assert_reader_agrees(raw)
    with pytest.raises(RequestValidationError):
        read_lead_request(raw)


@pytest.mark.parametrize("as_of", ["2024-W29-4", "20240718", "2024-07-18T00:00:00", 1721260800,
                                   "2024-02-30", " 2024-07-18"])  # fmt: skip
def test_a_date_that_is_not_yyyy_mm_dd_goes_to_the_models(as_of):
    assert not assert_reader_agrees(body({"as_of": as_of, "leads": [LEAD]}))


def test_a_lead_with_too_many_activities_goes_to_the_models():
    many = [{**LEAD["activities"][0], "activity_id": f"a-{i}"} for i in range(10_001)]
    assert not assert_reader_agrees(
        body({"as_of": "2024-07-18", "leads": [{**LEAD, "activities": many}]})
    )


def test_every_open_lead_of_the_night_is_read_column_wise_as_the_models_read_it(night):
    path = night.home / "warehouse" / "work" / "salespipe_work.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        ids = [r[0] for r in con.execute(
            "select lead_id from ml.lead_scores where score_date = ?", [BUSINESS_DATE]
        ).fetchall()]  # fmt: skip
        request = request_for(con, BUSINESS_DATE, ids)
    assert len(request["leads"]) > 300
    assert assert_reader_agrees(body(request))


def test_the_reader_knows_every_field_of_the_models():
    assert {name for name, *_ in request_body._LEAD_TEXT} | {"employees", "activities"} == set(
        Lead.model_fields
    )
    assert {name for name, *_ in request_body._ACTIVITY_TEXT} | {"duration_seconds"} == set(
        Activity.model_fields
    )
