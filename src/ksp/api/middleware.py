"""Request ids, one structured access line per request (method, path, status, time), and
the per-process limit on requests in flight."""

from __future__ import annotations

import json
import re
import time
import uuid

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from ksp.api.problems import CLIENT_GONE_KEY, PROBLEM_BASE, status_of
from ksp.observability import request_id_var

__all__ = [
    "ConcurrencyLimitMiddleware",
    "RequestContextMiddleware",
    "RequestGate",
    "echo_request_id",
]

_STATE_KEY = "ksp_request_id"
CLIENT_CLOSED_REQUEST = 499  # nginx's status for a client that left before the answer

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = structlog.get_logger("ksp.http")


_KEPT_SEGMENT = re.compile(
    r"^(?:[a-z][a-z0-9.-]*|\d{1,6}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)


def _redacted(path: str) -> str:
    """Keep route words, small numbers and UUIDs; anything else (a CPR number in a mistyped
    URL, say) is not logged."""
    return "/".join(
        segment if not segment or _KEPT_SEGMENT.fullmatch(segment) else "<redacted>"
        for segment in path.split("/")
    )


async def echo_request_id(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: every response carries the request's id, also those that the
    app's outermost exception handler sends (authentication's 401s), which pass no
    middleware on their way out."""
    request_id = scope.get("state", {}).get(_STATE_KEY)
    if message["type"] == "http.response.start" and isinstance(request_id, str):
        headers = list(message.get("headers", []))
        headers.append((b"x-request-id", request_id.encode()))
        message["headers"] = headers


class RequestContextMiddleware:
    """Takes a sane ``X-Request-ID`` or makes one, echoes it, and logs the request.

    The query string is not logged: paths carry only ids, queries could carry anything.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.fullmatch(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})[_STATE_KEY] = request_id  # for echo_request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        responded = False

        async def receive_noting_disconnect() -> ReceiveMessage:
            message = await receive()
            if message["type"] == "http.disconnect" and not responded:
                scope["state"][CLIENT_GONE_KEY] = True  # for the exception handlers
            return message

        async def send_noting_status(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                responded = True
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive_noting_disconnect, send_noting_status)
        except Exception as exc:
            if not responded:  # answered by the app's outer handler, with this status
                status = status_of(exc)
            raise
        finally:
            _log_request(scope, status, started)
            request_id_var.reset(token)


def _log_request(scope: Scope, status: int, started: float) -> None:
    if scope["state"].get(CLIENT_GONE_KEY):
        status = CLIENT_CLOSED_REQUEST
    log.info(
        "request",
        method=scope.get("method"),
        path=_redacted(scope["path"]),
        status=status,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
    )


_BUSY_BODY = json.dumps(
    {
        "type": PROBLEM_BASE + "busy",
        "title": "Too many requests in progress",
        "status": 503,
        "detail": "The service is busy; try again shortly.",
    }
).encode()


class RequestGate:
    """The count of requests in progress in this process, shared by every route (Litestar
    makes one middleware instance per route)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_progress = 0


class ConcurrencyLimitMiddleware:
    """At most ``gate.limit`` requests in progress in this process (``KSP_MAX_CONCURRENCY``);
    one more is answered at once with 503 and ``Retry-After``, before it takes a database
    connection. ``/health`` is exempt: a busy process is alive.

    uvicorn's own ``limit_concurrency`` is not used: it counts open connections too, so
    idle keep-alive connections alone would turn ``/health`` into 503s.
    """

    def __init__(self, app: ASGIApp, gate: RequestGate) -> None:
        self.app, self.gate = app, gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["path"] == "/health":
            await self.app(scope, receive, send)
            return
        if self.gate.in_progress >= self.gate.limit:
            await _send_busy(send)
            return
        self.gate.in_progress += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.gate.in_progress -= 1


async def _send_busy(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(_BUSY_BODY)).encode()),
                (b"retry-after", b"1"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _BUSY_BODY, "more_body": False})
