"""Who is looking at a page: the signed-in person's principal (from the session cookie),
the session's CSRF token for its forms, and the role's Danish name.

A page handler names its :class:`~ksp.domain.access.Action` in ``opt`` (``action(...)`` of
``ksp.api.auth``), as the API's routes do; the principal is then authorised for it and
carries the action's purpose, so every access-log row the page causes records the same
purpose as through the API.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from litestar import Request

from ksp.auth.context import ROLE_LABELS, SignIn
from ksp.domain.access import Action, Principal, authorise, purpose_of
from ksp.domain.errors import NotAuthenticated
from ksp.services.sessions import csrf_token_of

__all__ = ["Visitor", "provide_visitor", "visitor_of"]

AnyRequest = Request[Any, Any, Any]


@dataclass(frozen=True, slots=True)
class Visitor:
    principal: Principal
    csrf_token: str
    acr: str | None = None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.principal.role]


async def visitor_of(request: AnyRequest) -> Visitor | None:
    """The signed-in visitor of ``request``, or None (no live session)."""
    sign_in: SignIn = request.app.state.sign_in
    secret = request.cookies.get(sign_in.cookies.session)
    session = await sign_in.sessions.resume(secret)
    if session is None or secret is None:
        return None
    return Visitor(session.principal, csrf_token_of(secret), session.acr)


async def provide_visitor(request: AnyRequest) -> Visitor:
    """The ``visitor`` dependency of every page: signed in (else to ``/login``), allowed the
    handler's action (else a Danish 403 page), with the action's purpose."""
    visitor = await visitor_of(request)
    if visitor is None:
        raise NotAuthenticated
    performed: Action | None = request.route_handler.opt.get("action")
    if performed is not None:
        principal = visitor.principal
        request.state.visitor = visitor  # the header of a refusal page still shows who it is
        authorise(principal, performed)
        principal = dataclasses.replace(principal, purpose=purpose_of(principal, performed))
        visitor = dataclasses.replace(visitor, principal=principal)
    request.state.visitor = visitor
    return visitor
