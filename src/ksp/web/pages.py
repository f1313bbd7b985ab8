"""Rendering a page of ``templates/web/`` as a response, and the pages' error handling.

Every page is ``text/html; charset=utf-8`` with ``Cache-Control: no-store`` (pages carry
personal data, and the simplest correct rule is all of them). A domain error a handler does
not catch becomes a Danish page with the API's status and the sentence of
``ksp.web.messages``; not being signed in sends the person to ``/login``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect

from ksp.api.problems import status_of
from ksp.domain import errors
from ksp.observability import exception_location
from ksp.rendering import render_page
from ksp.web.labels import DANISH
from ksp.web.messages import SENTENCES, sentence_of
from ksp.web.navigation import navigation_of
from ksp.web.visitor import Visitor

__all__ = [
    "NO_STORE",
    "PAGE_EXCEPTION_HANDLERS",
    "PAGE_POLICY",
    "form_page",
    "html_response",
    "page",
    "render",
]

AnyRequest = Request[Any, Any, Any]
log = structlog.get_logger("ksp.web")
HTML = "text/html; charset=utf-8"
# Scripts, styles and fonts from this origin only (DKFDS and ours, as files), none inline.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
NO_STORE = {"Cache-Control": "no-store"}
PAGE_HEADERS = {**NO_STORE, "Content-Security-Policy": PAGE_POLICY}


def html_response(html: str, status: int = 200) -> Response[str]:
    """A page as a response: never stored by a cache, under the pages' CSP."""
    return Response(html, status_code=status, media_type=HTML, headers=PAGE_HEADERS)


def render(
    template: str,
    *,
    dev_mode: bool,
    visitor: Visitor | None,
    current_path: str = "",
    **context: Any,
) -> str:
    """``template`` with what the base layout needs: the development banner, the visitor
    (their name or id, role and unit in the header; the CSRF token for forms) and the menu of
    their role (``current_path`` marked as the current page)."""
    return render_page(
        template,
        dev_mode=dev_mode,
        visitor=visitor,
        navigation=navigation_of(None if visitor is None else visitor.principal.role),
        current_path=current_path,
        da=DANISH,
        **context,
    )


def page(request: AnyRequest, template: str, *, status: int = 200, **context: Any) -> Response[str]:
    """The response of a page handler: ``template`` rendered for the request's visitor."""
    html = render(
        template,
        dev_mode=request.app.state.sign_in.settings.dev_login,
        visitor=getattr(request.state, "visitor", None),
        current_path=request.url.path,
        **context,
    )
    return html_response(html, status)


def form_page(
    request: AnyRequest,
    template: str,
    *,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    **context: Any,
) -> Response[str]:
    """A page with a form: 422 when it came back refused, with the values as they were sent
    (a field not sent shows empty) and the errors by field."""
    return page(
        request,
        template,
        status=422 if errors else 200,
        values=defaultdict(str, values),
        errors=errors,
        **context,
    )


def _refused(request: AnyRequest, exc: errors.KspError) -> Response[Any]:
    if isinstance(exc, errors.NotAuthenticated):
        return Redirect("/login", status_code=303)
    if isinstance(exc, errors.StorageUnavailable):
        log.warning("storage_unavailable", at=exception_location(exc.__cause__ or exc))
    return page(request, "web/error.html.j2", status=status_of(exc), sentence=sentence_of(exc))


def _http(request: AnyRequest, exc: HTTPException) -> Response[Any]:
    status = min(500, exc.status_code)
    slug = {404: "not-found", 403: "forbidden"}.get(status, "validation")
    if status >= 500:
        slug = "internal"
        log.error("unhandled_exception", error=type(exc).__name__, at=exception_location(exc))
    return page(request, "web/error.html.j2", status=status, sentence=SENTENCES[slug])


def _internal(request: AnyRequest, exc: Exception) -> Response[Any]:
    log.error("unhandled_exception", error=type(exc).__name__, at=exception_location(exc))
    return page(request, "web/error.html.j2", status=500, sentence=SENTENCES["internal"])


PAGE_EXCEPTION_HANDLERS: dict[Any, Any] = {
    errors.KspError: _refused,
    HTTPException: _http,
    Exception: _internal,
}
