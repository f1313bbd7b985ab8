"""Signed-in page requests without a browser: a web session made through the app's own
session service (as the sign-in does), its cookie and its CSRF token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from litestar import Litestar

from ksp.domain.access import Principal, Role
from ksp.services.sessions import csrf_token_of


@dataclass(frozen=True)
class Browser:
    """Page requests of one signed-in person (cookies per request: the shared client keeps
    none of its own)."""

    client: httpx.AsyncClient
    cookies: dict[str, str]
    csrf: str

    @property
    def _headers(self) -> dict[str, str]:
        return {"cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        self.client.cookies.clear()
        return await self.client.get(path, headers=self._headers, **kwargs)

    async def post(self, path: str, data: dict[str, Any] | None = None) -> httpx.Response:
        """A form post with the session's CSRF token, as the page's form sends it."""
        self.client.cookies.clear()
        form = {"csrf_token": self.csrf, **(data or {})}
        return await self.client.post(path, data=form, headers=self._headers)


async def signed_in(
    app: Litestar, client: httpx.AsyncClient, role: str, unit: str, email: str | None = None
) -> Browser:
    """A live web session of ``role`` in ``unit`` (participants with ``email``)."""
    principal = Principal(sub=f"web-{role}-{unit}", role=Role(role), unit=unit, email=email)
    secret = await app.state.sign_in.sessions.start(principal, None)
    name = app.state.sign_in.cookies.session
    return Browser(client, {name: secret}, csrf_token_of(secret))


def forged(token: str) -> str:
    """``token`` with its first character changed, so it is surely another token (a fixed
    first character would equal the real one for one token in 64)."""
    return ("y" if token.startswith("x") else "x") + token[1:]


def with_forged_csrf(browser: Browser) -> Browser:
    """The same session posting a CSRF token that is not its own (one character changed)."""
    return Browser(browser.client, browser.cookies, forged(browser.csrf))


def other_roles(units: Any) -> tuple[tuple[str, str], ...]:
    """The roles that may not use KiF's forms, each with a unit of its own (``Units``)."""
    return (
        ("arrest", units.arrest),
        ("participant", units.participant),
        ("auditor", units.auditor),
    )
