"""The sign-in routes: ``GET /login``, ``GET /auth/callback``, ``POST /login/dev``,
``POST /logout`` and the signed-in landing page ``GET /``.

Danish pages for people; events in English on the ``ksp.security`` log, with the provider's
``sub``, the time and the ``acr``, never a name or an e-mail address.
"""

from __future__ import annotations

import secrets
from typing import Any

import structlog
from litestar import Request, Response, get, post
from litestar.response import Redirect

from ksp.auth.context import DEV_IDENTITIES, ROLE_LABELS, SignIn
from ksp.auth.oidc import SignInRefused
from ksp.domain.access import Principal
from ksp.web.pages import html_response, render
from ksp.web.visitor import Visitor, visitor_of

__all__ = ["ROUTES"]

log = structlog.get_logger("ksp.security")
AnyRequest = Request[Any, Any, Any]

_WHY = {
    "state": "Log-in-forsøget kunne ikke genkendes. Det er udløbet, allerede brugt eller "
    "startet i en anden browser.",
    "provider-error": "Identitetsudbyderen afbrød log-in.",
    "code-refused": "Identitetsudbyderen afviste log-in-koden. Den kan være brugt før.",
    "unreachable": "Identitetsudbyderen kunne ikke nås. Prøv igen om lidt.",
    "id-token": "Identitetsudbyderens svar kunne ikke godkendes, så du er ikke logget ind.",
    "acr-too-low": "Dit log-in har ikke det sikringsniveau, som KSP kræver (NSIS betydelig "
    "eller høj). Log ind med MitID Erhverv eller en anden løsning på mindst betydeligt niveau.",
    "unmapped": "Din konto har ingen rolle i KSP-samarbejdet (eller flere roller), så "
    "tjenesten ved ikke, hvad du må. Bed din administrator om at give dig en KSP-rolle.",
}
_STATUS = {"acr-too-low": 403, "unmapped": 403, "unreachable": 502}
_UNREACHABLE = {"discovery", "jwks", "token-request"}


def _sign_in(request: AnyRequest) -> SignIn:
    sign_in: SignIn = request.app.state.sign_in
    return sign_in


def _page(
    sign_in: SignIn,
    name: str,
    status: int = 200,
    visitor: Visitor | None = None,
    **context: Any,
) -> Response[str]:
    """A sign-in page on the web application's layout (``templates/web/base.html.j2``)."""
    html = render(
        name,
        dev_mode=sign_in.settings.dev_login,
        visitor=visitor,
        current_path="/" if visitor else "",
        **context,
    )
    return html_response(html, status)


def _refused(sign_in: SignIn, refusal: SignInRefused) -> Response[str]:
    kind = refusal.reason
    kind = "unreachable" if kind in _UNREACHABLE else kind
    kind = "id-token" if kind.startswith("id-token") else kind
    log.warning(
        "sign-in-refused",
        reason=refusal.reason,
        sub=refusal.sub,
        acr=refusal.acr,
        at=sign_in.clock.now().isoformat(),
    )
    response = _page(
        sign_in,
        "auth/refused.html.j2",
        _STATUS.get(kind, 400),
        why=_WHY[kind],
        reason=refusal.reason,
        at=sign_in.clock.now().strftime("%Y-%m-%d %H:%M:%S"),
    )
    response.set_cookie(sign_in.cookies.removal(sign_in.cookies.attempt))
    return response


async def _signed_in(
    sign_in: SignIn, request: AnyRequest, principal: Principal, acr: str | None, method: str
) -> Response[Any]:
    """A new session (the old one, if any, ends: renewal at sign-in) and its cookie."""
    await sign_in.sessions.end(request.cookies.get(sign_in.cookies.session))
    secret = await sign_in.sessions.start(principal, acr)
    log.info(
        "sign-in",
        sub=principal.sub,
        role=principal.role.value,
        unit=principal.unit,
        acr=acr,
        method=method,
        at=sign_in.clock.now().isoformat(),
    )
    response: Response[Any] = Redirect("/", status_code=303)
    response.set_cookie(sign_in.cookies.session_cookie(secret))
    response.set_cookie(sign_in.cookies.removal(sign_in.cookies.attempt))
    response.set_cookie(sign_in.cookies.removal(sign_in.cookies.login_csrf))
    return response


@get("/login", include_in_schema=False)
async def login(request: AnyRequest) -> Response[Any]:
    """To the provider; or the development sign-in; or a page saying there is none."""
    sign_in = _sign_in(request)
    if sign_in.oidc is not None:
        try:
            authorization, state = await sign_in.oidc.authorization_request(
                sign_in.sessions.begin_attempt
            )
        except SignInRefused as refusal:
            return _refused(sign_in, refusal)
        response: Response[Any] = Redirect(authorization.url, status_code=302)
        response.set_cookie(sign_in.cookies.short_cookie(sign_in.cookies.attempt, state))
        return response
    if not sign_in.settings.dev_login:
        return _page(sign_in, "auth/not_configured.html.j2", 503)
    token = secrets.token_urlsafe(32)
    page = _page(sign_in, "auth/dev_login.html.j2", identities=DEV_IDENTITIES, csrf_token=token)
    page.set_cookie(sign_in.cookies.short_cookie(sign_in.cookies.login_csrf, token))
    return page


@get("/auth/callback", include_in_schema=False)
async def callback(request: AnyRequest) -> Response[Any]:
    """Ends the sign-in: the state, the code, the ID token, the claim mapping."""
    sign_in = _sign_in(request)
    try:
        principal, acr = await sign_in.finish(
            request.query_params, request.cookies.get(sign_in.cookies.attempt)
        )
    except SignInRefused as refusal:
        return _refused(sign_in, refusal)
    return await _signed_in(sign_in, request, principal, acr, "oidc")


@post("/login/dev", include_in_schema=False, status_code=303)
async def dev_login(request: AnyRequest) -> Response[Any]:
    """The development sign-in (its CSRF token was checked by ``CsrfMiddleware``)."""
    sign_in = _sign_in(request)
    if not sign_in.settings.dev_login or sign_in.oidc is not None:
        return _page(sign_in, "auth/not_configured.html.j2", 404)
    chosen = (await request.form()).get("identity")
    identity = next((i for i in DEV_IDENTITIES if i.key == chosen), None)
    if identity is None:
        return _refused(sign_in, SignInRefused("unmapped"))
    return await _signed_in(sign_in, request, identity.principal, None, "development")


@post("/logout", include_in_schema=False, status_code=303)
async def logout(request: AnyRequest) -> Response[Any]:
    """Ends the session, then the provider's too where it offers ``end_session_endpoint``."""
    sign_in = _sign_in(request)
    ended = await sign_in.sessions.end(request.cookies.get(sign_in.cookies.session))
    if ended is not None:
        log.info(
            "sign-out",
            sub=ended.principal.sub,
            acr=ended.acr,
            at=sign_in.clock.now().isoformat(),
        )
    target = "/login"
    if sign_in.oidc is not None:
        target = await sign_in.oidc.end_session_url(sign_in.settings.public_url + "/") or target
    response: Response[Any] = Redirect(target, status_code=303)
    response.set_cookie(sign_in.cookies.removal(sign_in.cookies.session))
    return response


@get("/", include_in_schema=False)
async def home(request: AnyRequest) -> Response[Any]:
    """Who you are, your role and unit, and a sign-out button; to /login if not signed in."""
    sign_in = _sign_in(request)
    visitor = await visitor_of(request)
    if visitor is None:
        return Redirect("/login", status_code=303)
    return _page(
        sign_in,
        "auth/home.html.j2",
        visitor=visitor,
        principal=visitor.principal,
        role_label=ROLE_LABELS[visitor.principal.role],
        acr=visitor.acr,
    )


ROUTES = [login, callback, dev_login, logout, home]
