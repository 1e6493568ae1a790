"""The request and answer of ``POST /v1/leads/score`` (CONTRACT.md section 5).

A lead carries the contract's lead columns (section 1) and its activities the contract's
activity columns; custom ``attr_<name>`` fields are allowed on a lead. Values are what a
CRM delivers (text, ISO 8601 timestamps); the nightly's staging SQL types them. Anything
it would silently turn into a null (a timestamp that does not parse, a status outside
the contract, a count that is not a whole number) is refused here instead, with the field
and the value.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LEAD_STATUSES = ("open", "working", "qualified", "disqualified", "converted")
_ATTR = re.compile(r"^attr_[a-z0-9_]+$")
_WHOLE_NUMBER = re.compile(r"-?[0-9]+")


def _timestamp(value: str | None) -> str | None:
    if value is None or not value.strip():  # empty: missing, as staging reads it
        return value
    try:
        datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"{value!r} is not an ISO 8601 timestamp (e.g. 2024-07-18T09:30:00)"
        ) from None
    return value


def _whole_number(value: str | int | None) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if isinstance(value, str) and not text:  # empty: missing, as staging reads it
        return value
    if isinstance(value, bool) or not _WHOLE_NUMBER.fullmatch(text):
        raise ValueError(f"{value!r} is not a whole number")
    return text


class Activity(BaseModel):
    """One activity of the lead (contract section 1, ``activities``)."""

    model_config = ConfigDict(extra="forbid")

    activity_id: str = Field(min_length=1, max_length=200)
    occurred_at: str = Field(max_length=64)
    activity_type: str = Field(min_length=1, max_length=100)
    lead_id: str | None = Field(default=None, max_length=200)
    opportunity_id: str | None = Field(default=None, max_length=200)
    account_id: str | None = Field(default=None, max_length=200)
    rep_id: str | None = Field(default=None, max_length=200)
    channel: str | None = Field(default=None, max_length=100)
    duration_seconds: str | int | None = None
    subject: str | None = Field(default=None, max_length=2000)
    body_text: str | None = Field(default=None, max_length=20000)

    _occurred = field_validator("occurred_at")(_timestamp)
    _duration = field_validator("duration_seconds")(_whole_number)


class Lead(BaseModel):
    """One lead as the CRM holds it now (contract section 1, ``leads``), with its activities."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "additionalProperties": {"type": ["string", "number", "null"]},
            "description": "Custom fields are allowed, named attr_<name> (lower case).",
        },
    )

    lead_id: str = Field(min_length=1, max_length=200)
    created_at: str = Field(max_length=64)
    updated_at: str = Field(max_length=64)
    source: str = Field(min_length=1, max_length=100)
    status: str = Field(max_length=32, description=f"one of {', '.join(LEAD_STATUSES)}")
    email: str | None = Field(default=None, max_length=320)
    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=100)
    company: str | None = Field(default=None, max_length=500)
    title: str | None = Field(default=None, max_length=500)
    country: str | None = Field(default=None, max_length=100)
    industry: str | None = Field(default=None, max_length=200)
    employees: str | int | None = None
    owner_rep_id: str | None = Field(default=None, max_length=200)
    account_id: str | None = Field(default=None, max_length=200)
    converted_at: str | None = Field(default=None, max_length=64)
    converted_opportunity_id: str | None = Field(default=None, max_length=200)
    activities: list[Activity] = Field(default_factory=list, max_length=10_000)

    _times = field_validator("created_at", "updated_at", "converted_at")(_timestamp)
    _employees = field_validator("employees")(_whole_number)

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str) -> str:
        if value.strip().lower() not in LEAD_STATUSES:
            raise ValueError(f"{value!r} is not a lead status ({', '.join(LEAD_STATUSES)})")
        return value

    @model_validator(mode="after")
    def _custom_fields_and_activities(self) -> Lead:
        for name, value in (self.model_extra or {}).items():
            if not _ATTR.match(name):
                raise ValueError(
                    f"unknown field {name!r}: a lead has the contract's lead columns, "
                    "'activities', and custom fields named attr_<name>"
                )
            if isinstance(value, bool) or not isinstance(value, (str, int, float, type(None))):
                raise ValueError(f"custom field {name!r}: {value!r} is not text or a number")
        for index, activity in enumerate(self.activities):
            if activity.lead_id is not None and activity.lead_id != self.lead_id:
                raise ValueError(
                    f"activities[{index}].lead_id {activity.lead_id!r} is not this lead "
                    f"({self.lead_id!r}); leave it out or repeat the lead's id"
                )
        return self

    def raw_row(self) -> dict[str, Any]:
        """The lead's raw columns as text, the way ingest would have loaded them."""
        row = self.model_dump(exclude={"activities"})
        return {k: None if v is None else str(v) for k, v in row.items()}


def raw_columns(leads: list[Lead]) -> tuple[dict[str, list], dict[str, list]]:
    """The leads' and their activities' raw columns, as :meth:`Lead.raw_row` writes a lead:
    text or None, column by column (no per-row dump: a batch has thousands of rows).

    Returns (lead columns: the declared fields, then every custom field any lead has;
    activity columns, ``lead_id`` always the lead's own).
    """
    lead_fields = [name for name in Lead.model_fields if name != "activities"]
    custom = dict.fromkeys(name for lead in leads for name in lead.model_extra or {})
    lead_cols = {name: [_text(getattr(lead, name)) for lead in leads] for name in lead_fields}
    for name in custom:
        lead_cols[name] = [_text((lead.model_extra or {}).get(name)) for lead in leads]
    activities = [(lead.lead_id, a) for lead in leads for a in lead.activities]
    activity_cols = {
        name: [_text(getattr(a, name)) for _, a in activities]
        for name in Activity.model_fields
        if name != "lead_id"
    }
    activity_cols["lead_id"] = [lead_id for lead_id, _ in activities]
    return lead_cols, activity_cols


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class LeadScoreRequest(BaseModel):
    """Leads to score as of a business date."""

    model_config = ConfigDict(extra="forbid")

    as_of: date = Field(description="The business date, YYYY-MM-DD: the night to score as.")
    leads: list[Lead] = Field(min_length=1)


class Factor(BaseModel):
    feature: str
    label: str
    value: str
    impact: float
    probability_effect: float | None


class Factors(BaseModel):
    positive: list[Factor]
    negative: list[Factor]


class LeadScore(BaseModel):
    """A row of ml.lead_scores, for one lead."""

    lead_id: str
    score_date: date
    conversion_probability: float
    score: int
    percentile: float | None
    grade: str | None
    top_factors: Factors
    model_name: str
    model_version: str
    scoring_method: str
    is_stale: bool
    scored_at: datetime


class LeadScoreResponse(BaseModel):
    scores: list[LeadScore]


class Problem(BaseModel):
    """What was wrong: one sentence, and per field the value that was refused."""

    detail: str
    errors: list[dict[str, Any]] = Field(default_factory=list)
