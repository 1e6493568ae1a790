"""The request and answer of ``POST /v1/opportunities/score``.

A deal carries the contract's opportunity columns (CONTRACT.md section 1) as the CRM holds
them now, its activities and its account's (the contract's activity columns; each names the
deal or its account), and, optionally, its stage changes (``opportunity_stage_history``
rows without the id). Values are what a CRM delivers (text, ISO 8601 timestamps); the
nightly's staging SQL types them. Anything it would silently turn into a null (a
timestamp or date that does not parse, an amount that is not a number) is refused here,
with the field and the value. The answer has the columns of ``ml.opportunity_scores``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ml.serving.schemas import Activity, Factors, _text, _timestamp

# The dates a score can be computed for: the batch's date arithmetic (pandas, nanoseconds)
# ends in 2262; a close date or as-of date outside these years is a typing mistake.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


def _amount(value: Any) -> Any:
    """Checked before pydantic's union coerces a boolean into a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return value
    text = str(value).strip()
    try:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError
        number = float(text)
        if number != number or abs(number) == float("inf"):
            raise ValueError
    except ValueError:
        raise ValueError(f"{value!r} is not an amount (a decimal number)") from None
    return text


def _day(value: str | None) -> str | None:
    if value is None or not value.strip():
        return value
    try:
        day = datetime.fromisoformat(value.strip()).date()
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date (e.g. 2024-09-30)") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{value!r} is not a date from {FIRST_DAY} to {LAST_DAY}")
    return value


def _flag(value: str | bool | None) -> str | None:
    return None if value is None else (str(value).lower() if isinstance(value, bool) else value)


class StageChange(BaseModel):
    """One stage change of the deal (contract section 1, ``opportunity_stage_history``)."""

    model_config = ConfigDict(extra="forbid")

    stage: str = Field(min_length=1, max_length=100)
    changed_at: str = Field(max_length=64)
    amount: str | int | float | None = None
    close_date: str | None = Field(default=None, max_length=64)

    _changed = field_validator("changed_at")(_timestamp)
    _amount = field_validator("amount", mode="before")(_amount)
    _close = field_validator("close_date")(_day)


class Opportunity(BaseModel):
    """One open deal as the CRM holds it now (contract section 1, ``opportunities``)."""

    model_config = ConfigDict(extra="forbid")

    opportunity_id: str = Field(min_length=1, max_length=200)
    account_id: str = Field(min_length=1, max_length=200)
    created_at: str = Field(max_length=64)
    updated_at: str = Field(max_length=64)
    stage: str = Field(min_length=1, max_length=100)
    amount: str | int | float | None
    close_date: str | None = Field(max_length=64)
    owner_rep_id: str | None = Field(default=None, max_length=200)
    lead_id: str | None = Field(default=None, max_length=200)
    product: str | None = Field(default=None, max_length=200)
    currency: str | None = Field(default=None, max_length=16)
    is_closed: str | bool | None = None
    is_won: str | bool | None = None
    closed_at: str | None = Field(default=None, max_length=64)
    activities: list[Activity] = Field(default_factory=list, max_length=10_000)
    stage_history: list[StageChange] = Field(default_factory=list, max_length=1_000)

    _times = field_validator("created_at", "updated_at", "closed_at")(_timestamp)
    _amount = field_validator("amount", mode="before")(_amount)
    _close = field_validator("close_date")(_day)
    _flags = field_validator("is_closed", "is_won")(_flag)

    @model_validator(mode="after")
    def _activities_of_the_deal(self) -> Opportunity:
        for index, activity in enumerate(self.activities):
            if (activity.opportunity_id != self.opportunity_id
                    and activity.account_id != self.account_id):  # fmt: skip
                raise ValueError(
                    f"activities[{index}] names neither this deal (opportunity_id "
                    f"{self.opportunity_id!r}) nor its account (account_id "
                    f"{self.account_id!r}): send the deal's and its account's activities"
                )
        return self


def deal_columns(deals: list[Opportunity]) -> dict[str, dict[str, list]]:
    """The deals' raw rows as text columns, by raw table: ``opportunities``, ``activities``
    (as sent) and ``opportunity_stage_history`` (with the deal's id)."""
    fields = [n for n in Opportunity.model_fields if n not in ("activities", "stage_history")]
    activities = [a for deal in deals for a in deal.activities]
    changes = [(deal.opportunity_id, c) for deal in deals for c in deal.stage_history]
    history = {n: [_text(getattr(c, n)) for _, c in changes] for n in StageChange.model_fields}
    history["opportunity_id"] = [deal_id for deal_id, _ in changes]
    return {
        "opportunities": {n: [_text(getattr(d, n)) for d in deals] for n in fields},
        "activities": {
            n: [_text(getattr(a, n)) for a in activities] for n in Activity.model_fields
        },
        "opportunity_stage_history": history,
    }


class DealScoreRequest(BaseModel):
    """Open deals to score as of a business date."""

    model_config = ConfigDict(extra="forbid")

    as_of: date = Field(description="The business date, YYYY-MM-DD: the night to score as.")
    opportunities: list[Opportunity] = Field(min_length=1)

    @field_validator("as_of")
    @classmethod
    def _scorable(cls, value: date) -> date:
        if not FIRST_DAY <= value <= LAST_DAY:
            raise ValueError(f"{value.isoformat()} is not a date from {FIRST_DAY} to {LAST_DAY}")
        return value


class DealScore(BaseModel):
    """A row of ml.opportunity_scores, for one deal."""

    opportunity_id: str
    score_date: date
    win_probability: float
    score: int
    expected_value: float
    slip_probability: float
    expected_close_period: date
    top_factors: Factors
    model_name: str
    model_version: str
    scoring_method: str
    scored_at: datetime


class DealScoreResponse(BaseModel):
    scores: list[DealScore]


def score_documents(frame: Any) -> list[dict]:
    """``ml.opportunity_scores`` rows (a frame) as the answer's objects."""
    import json

    out = []
    for row in frame.itertuples(index=False):
        out.append({
            "opportunity_id": str(row.opportunity_id),
            "score_date": row.score_date.date().isoformat(),
            "win_probability": float(row.win_probability),
            "score": int(row.score),
            "expected_value": float(row.expected_value),
            "slip_probability": float(row.slip_probability),
            "expected_close_period": row.expected_close_period.date().isoformat(),
            "top_factors": json.loads(row.top_factors),
            "model_name": row.model_name,
            "model_version": str(row.model_version),
            "scoring_method": row.scoring_method,
            "scored_at": row.scored_at.isoformat(),
        })  # fmt: skip
    return out
