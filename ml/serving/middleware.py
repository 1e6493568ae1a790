"""The scoring API's ASGI middleware: the body-size limit (413) and the request log.

Plain ASGI wrappers: Starlette's ``BaseHTTPMiddleware`` adds a task group and memory
streams to every request.
"""

from __future__ import annotations

import logging
import time

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ml.serving.champion import ChampionHolder

log = logging.getLogger("ml.serving.requests")


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


class RequestLog:
    """ASGI middleware: log every request with its status, latency and model version (a
    plain ASGI wrapper: Starlette's BaseHTTPMiddleware adds a task group and memory
    streams to every request)."""

    def __init__(self, app: ASGIApp, holder: ChampionHolder) -> None:
        self.app, self.holder = app, holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status, version = 500, None

        async def sending(message: Message) -> None:
            nonlocal status, version
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", ()):
                    if name.lower() == b"x-model-version":
                        version = value.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            current = self.holder.current
            log.info(
                "%s %s -> %d in %.1f ms (model %s v%s)",
                scope.get("method"), scope.get("path"), status,
                (time.perf_counter() - started) * 1000, current.model_name,
                version or current.version,
            )  # fmt: skip
