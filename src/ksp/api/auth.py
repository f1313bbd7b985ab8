"""Authentication (bearer JWT middleware) and authorisation (the one guard).

Every route under ``/api/v1`` names its :class:`~ksp.domain.access.Action` in ``opt``; the
guard checks it against the single permission table in ``ksp.domain.access``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from ksp.domain.access import Action, Principal, Purpose, authorise, purpose_of
from ksp.domain.errors import FieldError, MalformedInput, NotAuthenticated
from ksp.tokens import TokenVerifier

__all__ = ["PURPOSE_HEADER", "BearerAuthMiddleware", "action", "authorised", "principal_of"]

PURPOSE_HEADER = "X-KSP-Purpose"


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated
        verifier: TokenVerifier = connection.app.state.verifier
        if verifier.fetches_keys:
            principal = await anyio.to_thread.run_sync(verifier.verify, token.strip())
        else:
            principal = verifier.verify(token.strip())
        return AuthenticationResult(user=principal, auth=None)


def action(name: Action) -> dict[str, Any]:
    """``opt`` for a route handler: the action it performs."""
    return {"action": name}


async def authorised(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """The one guard: the caller's role must be allowed the handler's action. The principal
    then carries the request's purpose (the action's, or the ``X-KSP-Purpose`` header's),
    so that every access-log row written for the request records it. A coroutine though it
    never waits: Litestar runs a plain function guard in a worker thread, a thread hop on
    every request."""
    principal, performed = principal_of(connection), handler.opt["action"]
    authorise(principal, performed)
    stated = _stated_purpose(connection)
    purpose = stated if stated is not None else purpose_of(principal, performed)
    connection.scope["user"] = dataclasses.replace(principal, purpose=purpose)


def _stated_purpose(connection: ASGIConnection[Any, Any, Any, Any]) -> Purpose | None:
    given = connection.headers.get(PURPOSE_HEADER)
    if given is None:
        return None
    try:
        return Purpose(given.strip())
    except ValueError:
        allowed = ", ".join(p.value for p in Purpose)
        raise MalformedInput([FieldError(PURPOSE_HEADER, f"must be one of {allowed}")]) from None


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise NotAuthenticated
    return user
