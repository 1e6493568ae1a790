"""The scoring API (FastAPI): ``POST /v1/leads/score``, ``POST /v1/opportunities/score``
(501: deals are scored nightly only), ``GET /health``; the OpenAPI spec at ``/openapi.json``.

Every ``/v1`` call needs ``Authorization: Bearer <token>`` with a token from
``SALESPIPE_API_TOKENS`` or ``serving.tokens``. A body over ``serving.max_body_bytes`` is
refused with 413 before it is parsed; a bad field gets 422 naming it and its value.
Every request is logged with its latency and the model version that answered.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import numpy as np
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ml.serving.champion import ChampionHolder
from ml.serving.config import ServingConfig
from ml.serving.online_log import OnlineInputLog
from ml.serving.schemas import LeadScoreRequest, LeadScoreResponse, Problem, raw_columns
from ml.serving.scoring import NotOpenError, OnlineScorer

log = logging.getLogger("ml.serving.requests")

NO_DEAL_MODEL = (
    "Opportunity scoring is not served online yet: deals are scored nightly into "
    "ml.opportunity_scores (read it from the published warehouse). Score leads with "
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


class BodyLimit:
    """ASGI middleware: 413 for a body over ``limit`` bytes (declared or streamed)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            chunks.append(chunk)  # joined once: adding each chunk copied the whole body
            size += len(chunk)
            more = message.get("more_body", False)
            if size > self.limit:
                await self._refuse(send)
                return
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"Request body is larger than the limit of {self.limit:,} bytes "
                       "(serving.max_body_bytes): send fewer leads per request."},
            status_code=413,
        )  # fmt: skip
        await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


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
    background: bool = True,
) -> FastAPI:
    """The FastAPI application. ``background`` starts the alias poll and the log writer.

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
        try:
            yield
        finally:
            holder.stop()
            online_log.stop()

    app = FastAPI(
        title="salespipe scoring API",
        version="1",
        description="Scores leads on demand exactly as the nightly batch would "
        "(CONTRACT.md section 5, docs/serving.md).",
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit, limit=config.max_body_bytes)

    @app.middleware("http")
    async def log_request(request: Request, call_next: Callable) -> Any:
        started = time.perf_counter()
        response = await call_next(request)
        log.info(
            "%s %s -> %d in %.1f ms (model %s v%s)",
            request.method, request.url.path, response.status_code,
            (time.perf_counter() - started) * 1000, holder.current.model_name,
            response.headers.get("x-model-version", holder.current.version),
        )  # fmt: skip
        return response

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
            if isinstance(value, dict):  # a whole lead: its message names the field; echo its id
                value = value.get("lead_id")
            errors.append(
                {"field": _where(tuple(error.get("loc", ()))), "value": value, "message": message}
            )
        detail = "; ".join(f"{e['field']}: {e['message']} (got {e['value']!r})" for e in errors)
        return JSONResponse({"detail": detail, "errors": jsonable(errors)}, status_code=422)

    def authorised(request: Request) -> None:
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
    )
    def score_leads(body: LeadScoreRequest) -> JSONResponse:
        if len(body.leads) > config.max_leads:
            raise ApiError(
                422,
                f"leads: {len(body.leads):,} leads in one request, more than "
                f"serving.max_leads ({config.max_leads:,}); send them in batches",
                [{"field": "leads", "value": len(body.leads),
                  "message": f"at most {config.max_leads} leads per request"}],
            )  # fmt: skip
        ids = [lead.lead_id for lead in body.leads]
        seen: set[str] = set()
        for index, lead_id in enumerate(ids):
            if lead_id in seen:
                raise ApiError(
                    422, f"leads[{index}].lead_id: {lead_id!r} appears twice in the request",
                    [{"field": f"leads[{index}].lead_id", "value": lead_id,
                      "message": "appears twice in the request"}],
                )  # fmt: skip
            seen.add(lead_id)
        leads, activities = raw_columns(body.leads)
        try:
            scored = scorer.score(body.as_of, leads, activities)
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
        status_code=501,
        responses={401: {"model": Problem}, 501: {"model": Problem}},
        dependencies=[Depends(authorised)],
        summary="Score open deals (501: deals are scored nightly, not online yet)",
    )
    def score_opportunities() -> JSONResponse:
        return JSONResponse({"detail": NO_DEAL_MODEL, "errors": []}, status_code=501)

    @app.get("/health", summary="Which model answers (no token needed)")
    def health() -> dict[str, str]:
        return {"status": "ok", "model_name": holder.current.model_name,
                "model_version": holder.current.version}  # fmt: skip

    return app


def jsonable(value: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    try:
        return jsonable_encoder(value)
    except (TypeError, ValueError):
        return repr(value)
