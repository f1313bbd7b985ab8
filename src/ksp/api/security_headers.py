"""Response headers that keep personal data out of caches and scripts out of HTML pages.

- every response: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``, and
  a ``Content-Type`` with at most one ``charset``;
- every ``/api/v1`` response: ``Cache-Control: no-store`` (they carry personal data, and the
  simplest correct rule is all of them);
- every HTML response: a ``Content-Security-Policy`` without ``unsafe-inline``. Pages
  rendered from our templates may use their templates' own inline styles (by hash) and no
  script at all. The OpenAPI UI under ``/schema`` (generated from code, no request data in
  it) may also run scripts from this origin and its own inline ones, each by hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable, Iterable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

__all__ = ["SchemaPagePolicyMiddleware", "page_policy", "security_headers_hook"]

CSP = b"content-security-policy"
_INLINE = re.compile(r"<(script|style)\b([^>]*)>(.*?)</\1\s*>", re.DOTALL | re.IGNORECASE)
_FRAMING = "base-uri 'none'; frame-ancestors 'none'"


def _source(content: str) -> str:
    digest = hashlib.sha256(content.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def _inline(html: str, tag: str) -> list[str]:
    """Hash sources of the inline ``tag`` elements (scripts with a ``src`` are not inline)."""
    return [
        _source(body)
        for name, attributes, body in _INLINE.findall(html)
        if name.lower() == tag and "src=" not in attributes.lower()
    ]


def _sources(hashes: Iterable[str]) -> str:
    return " ".join(sorted(set(hashes))) or "'none'"


def page_policy(templates: Iterable[str]) -> str:
    """The CSP of the pages rendered from ``templates``: their literal inline styles by hash,
    no scripts, nothing from elsewhere."""
    styles = [
        source
        for template in templates
        for source in _inline(template, "style")
        if "{{" not in source and "{%" not in source
    ]
    return (
        f"default-src 'none'; style-src {_sources(styles)}; img-src 'self' data:; "
        f"form-action 'self'; {_FRAMING}"
    )


def _schema_policy(html: str) -> str:
    """This origin's files, and the page's own inline scripts and styles by hash, if any
    ('none' beside 'self' would void the directive)."""
    scripts = " ".join(["'self'", *sorted(set(_inline(html, "script")))])
    styles = " ".join(["'self'", *sorted(set(_inline(html, "style")))])
    return (
        f"default-src 'none'; script-src {scripts}; "
        f"style-src {styles}; img-src 'self' data:; font-src 'self' data:; "
        f"connect-src 'self'; form-action 'none'; {_FRAMING}"
    )


def _one_charset(content_type: bytes) -> bytes:
    """``text/html; charset=utf-8; charset=utf-8`` → ``text/html; charset=utf-8``."""
    kept: list[bytes] = []
    for part in (p.strip() for p in content_type.split(b";")):
        if part.lower().startswith(b"charset=") and any(
            k.lower().startswith(b"charset=") for k in kept
        ):
            continue
        kept.append(part)
    return b"; ".join(kept)


def security_headers_hook(page_csp: str) -> Callable[[Message, Scope], Awaitable[None]]:
    """A ``before_send`` hook, so that also the responses no middleware sees (routing's 404,
    authentication's 401) carry the headers."""
    page_csp_bytes = page_csp.encode()

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = [
            (k.lower(), _one_charset(v) if k.lower() == b"content-type" else v)
            for k, v in message.get("headers", [])
        ]
        if scope.get("path", "").startswith("/api/"):
            headers = [(k, v) for k, v in headers if k != b"cache-control"]
            headers.append((b"cache-control", b"no-store"))
        content_type = next((v for k, v in headers if k == b"content-type"), b"")
        if content_type.lower().startswith(b"text/html") and CSP not in {k for k, _ in headers}:
            headers.append((CSP, page_csp_bytes))
        headers.append((b"x-content-type-options", b"nosniff"))
        headers.append((b"referrer-policy", b"no-referrer"))
        message["headers"] = headers

    return add_headers


class SchemaPagePolicyMiddleware:
    """Holds an HTML page under ``/schema`` until its end, and gives it a CSP that allows
    exactly its own inline scripts and styles (by hash)."""

    def __init__(self, app: ASGIApp, prefix: str = "/schema") -> None:
        self.app, self.prefix = app, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != ScopeType.HTTP or not (
            path == self.prefix or path.startswith(self.prefix + "/")
        ):
            await self.app(scope, receive, send)
            return
        start: HTTPResponseStartEvent | None = None
        body: list[bytes] = []

        async def send_with_policy(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and _is_html(message):
                start = message  # held until the body is complete
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if not message.get("more_body", False):
                html = b"".join(body)
                policy = _schema_policy(html.decode("utf-8", "replace")).encode()
                start["headers"] = [*start.get("headers", []), (CSP, policy)]
                await send(start)
                await send({"type": "http.response.body", "body": html, "more_body": False})

        await self.app(scope, receive, send_with_policy)


def _is_html(message: HTTPResponseStartEvent) -> bool:
    return any(
        k.lower() == b"content-type" and v.lower().startswith(b"text/html")
        for k, v in message.get("headers", [])
    )
