"""The scoring API (FastAPI): ``POST /v1/leads/score``, ``POST /v1/opportunities/score``
(501 when deal scoring is switched off), ``GET /health``; the OpenAPI spec at
``/openapi.json``.

Every ``/v1`` call needs ``Authorization: Bearer <token>`` with a token from
``SALESPIPE_API_TOKENS`` or ``serving.tokens``. A body over ``serving.max_body_bytes`` is
refused with 413 before it is parsed; a bad field gets 422 naming it and its value.
Every request is logged with its latency and the model version that answered.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import numpy as np
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ml.serving.champion import ChampionHolder
from ml.serving.config import ServingConfig
from ml.serving.deal_schemas import (
    DealScoreRequest,
    DealScoreResponse,
    deal_columns,
    score_documents,
)
from ml.serving.deals import DealNotOpenError, DealScorer
from ml.serving.middleware import BodyLimit, RequestLog
from ml.serving.online_log import OnlineInputLog
from ml.serving.request_body import read_lead_request, read_with_model
from ml.serving.schemas import LeadScoreRequest, LeadScoreResponse, Problem
from ml.serving.scoring import NotOpenError, OnlineScorer

NO_DEAL_MODEL = (
    "Opportunity scoring is switched off (opportunity_scoring.enabled is false in "
    "salespipe.yml): no deal is scored, nightly or online. Score leads with "
    "POST /v1/leads/score."
)
MISSING_TOKEN = (
    "Missing bearer token: send 'Authorization: Bearer <token>' with a token from "
    "SALESPIPE_API_TOKENS or serving.tokens in salespipe.yml."
)
WRONG_TOKEN = "Invalid bearer token."


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):  # a numpy scalar that reached an answer
        return value.item()
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")


_JSON = msgspec.json.Encoder(enc_hook=_plain)


class ScoresResponse(JSONResponse):
    """JSON written by msgspec: the same document as ``json.dumps`` (floats in their
    shortest round-trip form), about six times faster on a batch's scores and factors."""

    def render(self, content: Any) -> bytes:
        return _JSON.encode(content)


class ApiError(Exception):
    def __init__(self, status: int, detail: str, errors: list[dict] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors = status, detail, errors or []


def _where(loc: tuple[Any, ...]) -> str:
    parts = [p for p in loc if p != "body"]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def create_app(
    scorer: OnlineScorer,
    holder: ChampionHolder,
    config: ServingConfig,
    tokens: tuple[str, ...],
    online_log: OnlineInputLog,
    *,
    deals: DealScorer | None = None,
    background: bool = True,
) -> FastAPI:
    """The FastAPI application. ``background`` starts the alias polls and the log writer.
    Without ``deals`` (deal scoring switched off), ``/v1/opportunities/score`` answers 501.

    Raises:
        ValueError: no token is configured (an API nobody can call, or anybody could).
    """
    if not tokens:
        raise ValueError(
            "No API token is configured: set SALESPIPE_API_TOKENS (comma-separated) or "
            "serving.tokens in salespipe.yml before starting the scoring API."
        )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if background:
            holder.start()
            online_log.start()
            if deals is not None:
                deals.champion.start()
        try:
            yield
        finally:
            holder.stop()
            online_log.stop()
            if deals is not None:
                deals.champion.stop()

    app = FastAPI(
        title="salespipe scoring API",
        version="1",
        description="Scores leads and open deals on demand exactly as the nightly batch "
        "would (CONTRACT.md section 5, docs/serving.md).",
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit, limit=config.max_body_bytes)

    app.add_middleware(RequestLog, holder=holder)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(
            {"detail": exc.detail, "errors": exc.errors}, status_code=exc.status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for error in exc.errors():
            message = str(error.get("msg", "")).removeprefix("Value error, ")
            value = error.get("input")
            if isinstance(value, dict):  # a whole lead or deal: the message names the field
                value = value.get("lead_id", value.get("opportunity_id"))  # echo its id
            errors.append(
                {"field": _where(tuple(error.get("loc", ()))), "value": value, "message": message}
            )
        detail = "; ".join(f"{e['field']}: {e['message']} (got {e['value']!r})" for e in errors)
        return JSONResponse({"detail": detail, "errors": jsonable(errors)}, status_code=422)

    async def authorised(request: Request) -> None:  # async: no thread hop per request
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, MISSING_TOKEN)
        if not any(hmac.compare_digest(token.strip().encode(), t.encode()) for t in tokens):
            raise ApiError(401, WRONG_TOKEN)

    problems = {401: {"model": Problem}, 413: {"model": Problem}, 422: {"model": Problem}}

    @app.post(
        "/v1/leads/score",
        response_model=LeadScoreResponse,
        responses=problems,
        dependencies=[Depends(authorised)],
        summary="Score leads as of a date, as the nightly batch would",
        openapi_extra=body_schema(LeadScoreRequest),
    )
    async def score_leads(request: Request) -> JSONResponse:
        # The body is read column-wise (ml.serving.request_body), pydantic's models judging
        # only what that cannot prove valid; the OpenAPI spec still documents the models.
        # Scored on the event loop: the work is CPU-bound under one GIL, and a hop to a
        # worker thread and back was a measurable share of a one-lead request under load.
        body = read_lead_request(await request.body())
        ids = body.lead_ids
        if len(ids) > config.max_leads:
            raise ApiError(
                422,
                f"leads: {len(ids):,} leads in one request, more than "
                f"serving.max_leads ({config.max_leads:,}); send them in batches",
                [{"field": "leads", "value": len(ids),
                  "message": f"at most {config.max_leads} leads per request"}],
            )  # fmt: skip
        if len(set(ids)) != len(ids):
            seen: set[str] = set()
            for index, lead_id in enumerate(ids):
                if lead_id in seen:
                    raise ApiError(
                        422, f"leads[{index}].lead_id: {lead_id!r} appears twice in the request",
                        [{"field": f"leads[{index}].lead_id", "value": lead_id,
                          "message": "appears twice in the request"}],
                    )  # fmt: skip
                seen.add(lead_id)
        try:
            scored = scorer.score(body.as_of, body.leads, body.activities)
        except NotOpenError as exc:
            raise ApiError(
                422, f"leads[{exc.index}]: {exc.reason}",
                [{"field": f"leads[{exc.index}]", "value": exc.lead_id, "message": exc.reason}],
            ) from None  # fmt: skip
        online_log.put(scored.inputs, scored.features)
        return ScoresResponse(
            {"scores": scored.scores}, headers={"X-Model-Version": scored.model_version}
        )

    @app.post(
        "/v1/opportunities/score",
        response_model=DealScoreResponse,
        responses={**problems, 501: {"model": Problem}},
        dependencies=[Depends(authorised)],
        summary="Score open deals as of a date, as the nightly batch would",
        openapi_extra=body_schema(DealScoreRequest),
    )
    async def score_opportunities(request: Request) -> JSONResponse:
        if deals is None:
            return JSONResponse({"detail": NO_DEAL_MODEL, "errors": []}, status_code=501)
        body = read_with_model(await request.body(), DealScoreRequest)
        ids = [deal.opportunity_id for deal in body.opportunities]
        if len(ids) > config.max_opportunities:
            raise ApiError(
                422,
                f"opportunities: {len(ids):,} deals in one request, more than "
                f"serving.max_opportunities ({config.max_opportunities:,}); send them in batches",
                [{"field": "opportunities", "value": len(ids),
                  "message": f"at most {config.max_opportunities} deals per request"}],
            )  # fmt: skip
        seen: set[str] = set()
        for index, deal_id in enumerate(ids):
            if deal_id in seen:
                field = f"opportunities[{index}].opportunity_id"
                raise ApiError(
                    422, f"{field}: {deal_id!r} appears twice in the request",
                    [{"field": field, "value": deal_id, "message": "appears twice in the request"}],
                )  # fmt: skip
            seen.add(deal_id)
        try:
            frame, version = deals.score(body.as_of, deal_columns(body.opportunities))
        except DealNotOpenError as exc:
            field = f"opportunities[{exc.index}]"
            raise ApiError(
                422, f"{field}: {exc.reason}",
                [{"field": field, "value": exc.opportunity_id, "message": exc.reason}],
            ) from None  # fmt: skip
        return ScoresResponse(
            {"scores": score_documents(frame)}, headers={"X-Model-Version": version}
        )

    @app.get("/health", summary="Which model answers (no token needed)")
    def health() -> dict[str, str]:
        return {"status": "ok", "model_name": holder.current.model_name,
                "model_version": holder.current.version}  # fmt: skip

    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        """The generated spec, with the request models the endpoints read themselves."""
        if app.openapi_schema is None:
            spec = plain_openapi()
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(_declared_schemas())
            spec["components"]["schemas"] = dict(sorted(schemas.items()))
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi
    return app


def _reads_leads(body: LeadScoreRequest) -> None:
    """Declares the leads body, for FastAPI to write its schemas (never called)."""


def _reads_deals(body: DealScoreRequest) -> None:
    """Declares the deals body, for FastAPI to write its schemas (never called)."""


def _declared_schemas() -> dict[str, Any]:
    """The component schemas FastAPI writes for the request models, exactly as it wrote
    them when ``score_leads`` and ``score_opportunities`` declared their bodies."""
    probe = FastAPI()
    for path, reads in (("/leads", _reads_leads), ("/deals", _reads_deals)):
        probe.add_api_route(path, reads, methods=["POST"], responses={422: {"model": Problem}})
    return probe.openapi()["components"]["schemas"]


def body_schema(model: type) -> dict[str, Any]:
    """``openapi_extra`` of an endpoint that reads ``model``'s JSON body itself."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"content": {"application/json": {"schema": ref}}, "required": True}}


def jsonable(value: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    try:
        return jsonable_encoder(value)
    except (TypeError, ValueError):
        return repr(value)
