"""A ``POST /v1/leads/score`` body, read column by column: what the pydantic models of
:mod:`ml.serving.schemas` accept, checked on whole columns, without a model per lead and
per activity (pydantic's per-field validators were about half of a batch of 1,000 leads).

:func:`read_lead_request` decodes the body (msgspec) and checks it column-wise. A body it
can prove valid becomes the columns :func:`ml.serving.schemas.raw_columns` would make of
the validated models; anything else, even a body pydantic might accept by coercion, is
handed to the pydantic models, so an error carries exactly the message, field and value
it always did, and a coercion is pydantic's. ``tests/serving/test_request_body.py``
proves the columns equal to the models' on real and edge requests, and that every body
it refuses is one pydantic refuses too, or coerces.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from itertools import repeat
from types import NoneType
from typing import Any, TypeVar

import msgspec
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from ml.serving.schemas import (
    _ATTR,
    _WHOLE_NUMBER,
    LEAD_STATUSES,
    Activity,
    Lead,
    LeadScoreRequest,
    raw_columns,
)

_DECODE = msgspec.json.Decoder()
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class LeadRequest:
    """A valid request's date and raw columns (text or None), as ``raw_columns`` makes them."""

    as_of: date
    leads: dict[str, list]
    activities: dict[str, list]

    @property
    def lead_ids(self) -> list[str]:
        return self.leads["lead_id"]


class _Unsure(Exception):
    """The fast check cannot prove the body valid: pydantic decides."""


# (name, required, min length, max length) of the plain text fields, from the models.
def _text_fields(model: type, skip: set[str]) -> list[tuple[str, bool, int, int | None]]:
    out = []
    for name, info in model.model_fields.items():  # type: ignore[attr-defined]
        if name in skip:
            continue
        low, high = 0, None
        for meta in info.metadata:
            low = getattr(meta, "min_length", None) or low
            high = getattr(meta, "max_length", None) or high
        out.append((name, info.is_required(), low, high))
    return out


_LEAD_NUMBERS = {"employees"}
_ACTIVITY_NUMBERS = {"duration_seconds"}
_LEAD_TEXT = _text_fields(Lead, {"activities", *_LEAD_NUMBERS})
_ACTIVITY_TEXT = _text_fields(Activity, _ACTIVITY_NUMBERS)
_LEAD_TIMES = ("created_at", "updated_at", "converted_at")
_ACTIVITY_TIMES = ("occurred_at",)
_LEAD_FIELDS = frozenset(Lead.model_fields)
_LEAD_REQUIRED = frozenset(n for n, i in Lead.model_fields.items() if i.is_required())
_ACTIVITY_FIELDS = frozenset(Activity.model_fields)
_ACTIVITY_REQUIRED = frozenset(n for n, i in Activity.model_fields.items() if i.is_required())
_MAX_ACTIVITIES = next(
    m.max_length for m in Lead.model_fields["activities"].metadata if hasattr(m, "max_length")
)
_STATUSES = frozenset(LEAD_STATUSES)
_TEXT, _TEXT_OR_NONE = frozenset({str}), frozenset({str, NoneType})
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # what pydantic reads as a date, and no more


def read_lead_request(body: bytes) -> LeadRequest:
    """The request in ``body``, as columns.

    Raises:
        RequestValidationError: the body is not a valid request (as FastAPI raises it for a
            declared body: ``loc`` starts with ``body``).
    """
    try:
        return _fast(body)
    except _Unsure:
        return _by_pydantic(body)


def _by_pydantic(body: bytes) -> LeadRequest:
    """The request validated by its pydantic models, errors as FastAPI reports them."""
    request = read_with_model(body, LeadScoreRequest)
    leads, activities = raw_columns(request.leads)
    return LeadRequest(request.as_of, leads, activities)


def read_with_model(body: bytes, model: type[M]) -> M:
    """``body`` validated by the pydantic ``model``, errors as FastAPI reports them for a
    declared body.

    Raises:
        RequestValidationError: the body is not a valid ``model`` (``loc`` starts with ``body``).
    """
    if not body:
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        position = getattr(exc, "pos", getattr(exc, "start", 0))
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body", position), "msg": "JSON decode error",
              "input": {}, "ctx": {"error": str(getattr(exc, "msg", exc))}}]
        ) from None  # fmt: skip
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        raise RequestValidationError(errors, body=data) from None


def _fast(body: bytes) -> LeadRequest:
    try:
        data = _DECODE.decode(body)
    except msgspec.DecodeError:
        raise _Unsure from None
    if type(data) is not dict or data.keys() != {"as_of", "leads"}:
        raise _Unsure
    as_of, leads = data["as_of"], data["leads"]
    if type(as_of) is not str or not _DAY.fullmatch(as_of) or type(leads) is not list or not leads:
        raise _Unsure
    try:
        day = date.fromisoformat(as_of)
    except ValueError:
        raise _Unsure from None
    if any(type(lead) is not dict for lead in leads):
        raise _Unsure
    custom: dict[str, None] = {}
    for lead in leads:
        keys = lead.keys()
        if not _LEAD_REQUIRED <= keys:
            raise _Unsure
        extra = keys - _LEAD_FIELDS
        if extra:
            custom.update(dict.fromkeys(k for k in keys if k in extra))
    lead_cols = _text_columns(leads, _LEAD_TEXT)
    lead_cols["employees"] = _whole_numbers([lead.get("employees") for lead in leads])
    lead_cols = {name: lead_cols[name] for name in Lead.model_fields if name != "activities"}
    _timestamps(lead_cols, _LEAD_TIMES)
    if not all(type(s) is str and s.strip().lower() in _STATUSES for s in lead_cols["status"]):
        raise _Unsure
    for name in custom:
        if not _ATTR.match(name):
            raise _Unsure
        values = [lead.get(name) for lead in leads]
        if not all(type(v) in (str, int, float) or v is None for v in values):
            raise _Unsure
        lead_cols[name] = [None if v is None else str(v) for v in values]
    lists = [lead.get("activities", []) for lead in leads]
    if any(type(a) is not list or len(a) > _MAX_ACTIVITIES for a in lists):
        raise _Unsure
    flat = [activity for group in lists for activity in group]
    if any(type(a) is not dict for a in flat):
        raise _Unsure
    for activity in flat:
        keys = activity.keys()
        if not (_ACTIVITY_REQUIRED <= keys <= _ACTIVITY_FIELDS):
            raise _Unsure
    owner = [lead["lead_id"] for lead, group in zip(leads, lists, strict=True) for _ in group]
    activity_cols = _text_columns(flat, _ACTIVITY_TEXT)
    if any(given is not None and given != own
           for given, own in zip(activity_cols["lead_id"], owner, strict=True)):  # fmt: skip
        raise _Unsure
    activity_cols["duration_seconds"] = _whole_numbers([a.get("duration_seconds") for a in flat])
    _timestamps(activity_cols, _ACTIVITY_TIMES)
    activity_cols = {n: activity_cols[n] for n in Activity.model_fields if n != "lead_id"}
    activity_cols["lead_id"] = owner
    return LeadRequest(day, lead_cols, activity_cols)


def _text_columns(rows: list[dict], fields: list[tuple[str, bool, int, int | None]]) -> dict:
    """Each text field as a column, checked whole: text (or None where optional) of an
    allowed length."""
    out: dict[str, list] = {}
    for name, required, low, high in fields:
        values = list(map(dict.get, rows, repeat(name)))
        kinds = set(map(type, values))
        if not kinds <= (_TEXT if required else _TEXT_OR_NONE):
            raise _Unsure
        present = [v for v in values if v is not None] if NoneType in kinds else values
        if present:
            lengths = list(map(len, present))
            if min(lengths) < low or (high is not None and max(lengths) > high):
                raise _Unsure
        out[name] = values
    return out


def _whole_numbers(values: list[Any]) -> list[str | None]:
    """A ``str | int | None`` whole-number field as its validator leaves it, as text."""
    out: list[str | None] = []
    for value in values:
        kind = type(value)
        if value is None:
            out.append(None)
        elif kind is int:
            out.append(str(value))
        elif kind is str:
            text = value.strip()
            if text and not _WHOLE_NUMBER.fullmatch(text):
                raise _Unsure
            out.append(text if text else value)
        else:
            raise _Unsure
    return out


def _timestamps(columns: dict[str, list], names: tuple[str, ...]) -> None:
    """Every non-blank value of ``names`` parses as ISO 8601 (the models' ``_timestamp``)."""
    parse = datetime.fromisoformat
    for name in names:
        for value in columns[name]:
            if value is not None:
                text = value.strip()
                if text:
                    try:
                        parse(text)
                    except ValueError:
                        raise _Unsure from None
