"""CSRF tokens on every state-changing browser request (POST, PUT, PATCH, DELETE outside
``/api/v1``): the session's token in the ``X-CSRF-Token`` header or a ``csrf_token`` form
field, or else 403. Before a session exists, the development sign-in's form carries the
token of its own short-lived cookie instead (double submit).

``/api/v1`` takes bearer tokens only, which a browser never sends by itself, so it needs none.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import parse_qs

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from ksp.domain.errors import CsrfTokenInvalid
from ksp.services.sessions import csrf_token_of

__all__ = ["CSRF_FIELD", "CSRF_HEADER", "CsrfMiddleware"]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEV_LOGIN_PATH = "/login/dev"


def _is_api(path: str) -> bool:
    return path == "/api/v1" or path.startswith("/api/v1/")


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, list[Any]] | None:
    """The whole body and its messages (to replay), or None past ``limit`` bytes (a form
    that large carries no token we look for, and is never held in memory)."""
    messages: list[Any] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if size > limit:
            return None
        if not message.get("more_body", False):
            break
    return b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request"), messages


def _form_token(scope: Scope, body: bytes) -> str | None:
    content_type = ASGIConnection(scope).headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded") or not body:
        return None
    values = parse_qs(body.decode("latin-1"), max_num_fields=50).get(CSRF_FIELD)
    return values[0] if values else None


def _matches(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def _expected(scope: Scope, sign_in: Any) -> list[str]:
    """The tokens that would do: the session's, and on the development sign-in's form the
    token of its own cookie (before there is a session)."""
    cookies = ASGIConnection[Any, Any, Any, Any](scope).cookies
    secret = cookies.get(sign_in.cookies.session)
    expected = [csrf_token_of(secret)] if secret else []
    if scope["path"] == DEV_LOGIN_PATH and cookies.get(sign_in.cookies.login_csrf):
        expected.append(cookies[sign_in.cookies.login_csrf])
    return expected


class CsrfMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope.get("method", "GET")  # type: ignore[assignment]
        unsafe = method in UNSAFE_METHODS and not _is_api(scope["path"])
        if scope["type"] != ScopeType.HTTP or not unsafe:
            await self.app(scope, receive, send)
            return
        sign_in = scope["litestar_app"].state.sign_in
        expected = _expected(scope, sign_in)
        header = ASGIConnection[Any, Any, Any, Any](scope).headers.get(CSRF_HEADER)
        if any(_matches(header, token) for token in expected):
            await self.app(scope, receive, send)
            return
        read = await _read_body(receive, sign_in.max_body_bytes) if expected else None
        if read is None:
            raise CsrfTokenInvalid
        body, messages = read
        if not any(_matches(_form_token(scope, body), token) for token in expected):
            raise CsrfTokenInvalid
        replay = iter(messages)

        async def replayed() -> Any:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)
