"""The embedded default's development sign-in (CONTRACT.md, "Signing in": with no issuer
and a loopback host), its CSRF token, and the session cookie that /api/v1 never accepts."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import make_settings
from ksp.api.app import create_app
from ksp.auth.config import SignInSettings
from ksp.db.tables import web_sessions
from support.clock import FixedClock
from support.server import free_port

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"
IDENTITIES = {
    "arrest": "arrest-koebenhavn",
    "kif": "kif-hovedstaden",
    "participant": "kommune-101",
    "auditor": "intern-revision",
}


async def browser_of(app: Litestar, base_url: str = "http://127.0.0.1:8000") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=base_url)


@pytest.fixture
async def browser(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of its own (the shared test client must not carry a session)."""
    client = await browser_of(app)
    yield client
    await client.aclose()


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


async def dev_sign_in(browser: httpx.AsyncClient, identity: str) -> httpx.Response:
    login = await browser.get("/login")
    return await browser.post(
        "/login/dev", data={"identity": identity, "csrf_token": csrf_of(login)}
    )


async def test_the_development_sign_in_lists_one_identity_per_role_in_development_mode(
    browser: httpx.AsyncClient,
) -> None:
    """GET /login shows the four example identities and says it is development mode."""
    page = await browser.get("/login")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Udviklingstilstand" in page.text
    assert '<html lang="da">' in page.text
    for role, unit in IDENTITIES.items():
        assert f'name="identity" value="{role}"' in page.text
        assert f"<code>{unit}</code>" in page.text
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("ksp_login_csrf=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


@pytest.mark.parametrize("role", list(IDENTITIES))
async def test_each_example_identity_signs_in_and_sees_its_role_and_unit(
    browser: httpx.AsyncClient, role: str
) -> None:
    """The landing page names the identity, role and unit, marks development mode, and
    the sign-in is logged (method development, no acr)."""
    with structlog.testing.capture_logs() as events:
        signed_in = await dev_sign_in(browser, role)
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/")
    home = await browser.get("/")
    assert home.status_code == 200
    assert f"<code>dev-{role}</code>" in home.text
    assert f"<code>{IDENTITIES[role]}</code>" in home.text
    assert "Udviklingstilstand" in home.text
    assert "Log ud" in home.text
    (event,) = [e for e in events if e["event"] == "sign-in"]
    assert (event["sub"], event["method"], event["acr"]) == (f"dev-{role}", "development", None)


async def test_the_development_sign_in_without_its_csrf_token_is_forbidden(
    browser: httpx.AsyncClient,
) -> None:
    """The sign-in form is a state-changing request too: without the token, 403."""
    await browser.get("/login")
    response = await browser.post("/login/dev", data={"identity": "kif"})
    assert response.status_code == 403
    assert response.json()["type"] == PROBLEMS + "csrf-token-invalid"
    assert (await browser.get("/")).headers["location"] == "/login"


async def test_an_unknown_identity_is_refused(browser: httpx.AsyncClient) -> None:
    """Only the listed example identities exist."""
    response = await dev_sign_in(browser, "admin")
    assert response.status_code == 403
    assert "<code>unmapped</code>" in response.text


async def test_the_landing_page_without_a_session_sends_you_to_sign_in(
    browser: httpx.AsyncClient,
) -> None:
    """GET / without a session: 303 to /login."""
    response = await browser.get("/")
    assert (response.status_code, response.headers["location"]) == (303, "/login")


async def test_signing_out_ends_the_development_session(browser: httpx.AsyncClient) -> None:
    """POST /logout with the CSRF token ends the session (the cookie replayed is dead)."""
    await dev_sign_in(browser, "auditor")
    cookie = browser.cookies["ksp_session"]
    out = await browser.post("/logout", data={"csrf_token": csrf_of(await browser.get("/"))})
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    browser.cookies.set("ksp_session", cookie)
    assert (await browser.get("/")).headers["location"] == "/login"


def api_urls(app: Litestar) -> Iterator[tuple[str, str]]:
    """Every /api/v1 route and method, its path parameters filled in."""
    nobody = "00000000-0000-4000-8000-000000000000"
    for route in app.routes:
        if not route.path.startswith("/api/v1"):
            continue
        path = re.sub(r"\{[a-z_]+:uuid\}", nobody, route.path).replace("{n:int}", "1")
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            yield method, path


async def test_every_api_route_refuses_a_signed_in_browser_session(
    app: Litestar, browser: httpx.AsyncClient
) -> None:
    """/api/v1 takes bearer tokens only: a live session cookie, with its CSRF token, is 401
    on every route (the access matrix for session-authenticated requests)."""
    await dev_sign_in(browser, "kif")
    token = csrf_of(await browser.get("/"))
    urls = list(api_urls(app))
    assert len(urls) > 20
    for method, path in urls:
        response = await browser.request(method, path, headers={"X-CSRF-Token": token}, json={})
        assert response.status_code == 401, (method, path)
        assert response.json()["type"] == PROBLEMS + "not-authenticated"


def app_with(tmp: Path, engine: AsyncEngine, clock: FixedClock, **changes: Any) -> Litestar:
    sign_in = dataclasses.replace(SignInSettings(public_url="http://127.0.0.1:8000"), **changes)
    settings = dataclasses.replace(make_settings(tmp), sign_in=sign_in)
    return create_app(settings, engine=engine, clock=clock)


async def test_without_a_provider_or_development_sign_in_login_says_it_is_not_set_up(
    tmp_path: Path, engine: AsyncEngine, clock: FixedClock
) -> None:
    """A non-loopback host without KSP_OIDC_ISSUER or KSP_DEV_LOGIN: no sign-in at all."""
    app = app_with(tmp_path, engine, clock, dev_login=False)
    browser = await browser_of(app)
    try:
        page = await browser.get("/login")
        assert page.status_code == 503
        assert "Log-in er ikke sat op" in page.text
        assert "Udviklingstilstand" not in page.text
        assert (await browser.post("/login/dev", data={"identity": "kif"})).status_code == 403
    finally:
        await browser.aclose()
        app.state.mail.close()


async def test_over_https_the_cookies_are_secure_with_the_host_prefix(
    tmp_path: Path, engine: AsyncEngine, clock: FixedClock
) -> None:
    """Outside the embedded default's plain HTTP: Secure, HttpOnly, SameSite=Lax, __Host-."""
    app = app_with(tmp_path, engine, clock, public_url="https://ksp.example.dk", dev_login=True)
    browser = await browser_of(app, "https://ksp.example.dk")
    try:
        login = await browser.get("/login")
        signed_in = await browser.post(
            "/login/dev", data={"identity": "kif", "csrf_token": csrf_of(login)}
        )
        cookie = next(c for c in signed_in.headers.get_list("set-cookie") if "ksp_session=" in c)
        assert cookie.startswith("__Host-ksp_session=")
        for attribute in ("Secure", "HttpOnly", "SameSite=lax", "Path=/"):
            assert attribute in cookie
        assert "Domain" not in cookie
        home = await browser.get("/")
        assert home.status_code == 200
        out = await browser.post("/logout", data={"csrf_token": csrf_of(home)})
        removal = next(c for c in out.headers.get_list("set-cookie") if "ksp_session=" in c)
        assert removal.startswith('__Host-ksp_session=""')
        assert "Max-Age=0" in removal
        assert "Secure" in removal
    finally:
        await browser.aclose()
        app.state.mail.close()


async def test_a_form_over_the_body_limit_is_refused_without_being_held(
    browser: httpx.AsyncClient, settings: Any
) -> None:
    """The CSRF check reads a form only up to KSP_MAX_BODY_BYTES: past that, no token is
    looked for and the request is 403, even with the right token in it."""
    await dev_sign_in(browser, "kif")
    token = csrf_of(await browser.get("/"))
    padding = "x" * settings.max_body_bytes
    response = await browser.post("/logout", data={"csrf_token": token, "padding": padding})
    assert response.status_code == 403
    assert response.json()["type"] == PROBLEMS + "csrf-token-invalid"
    assert (await browser.get("/")).status_code == 200
    within = await browser.post("/logout", data={"csrf_token": token, "padding": "x" * 1000})
    assert within.status_code == 303


async def test_the_database_keeps_only_a_hash_of_the_session_id(
    browser: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """The cookie's secret is not in web_sessions; its SHA-256 is the key."""
    await dev_sign_in(browser, "arrest")
    secret = browser.cookies["ksp_session"]
    async with engine.connect() as connection:
        keys = (await connection.execute(select(web_sessions.c.key))).scalars().all()
    assert hashlib.sha256(secret.encode()).digest() in keys
    assert all(secret.encode() not in key for key in keys)


async def test_a_callback_without_a_provider_is_refused(browser: httpx.AsyncClient) -> None:
    """/auth/callback on the development sign-in has no attempt to finish: 400."""
    response = await browser.get("/auth/callback", params={"code": "c", "state": "s" * 43})
    assert response.status_code == 400
    assert "<code>state</code>" in response.text


async def test_an_unreachable_provider_is_a_danish_page_not_an_error(
    tmp_path: Path, engine: AsyncEngine, clock: FixedClock
) -> None:
    """Discovery fails (nothing listens at the issuer): 502 and a page that says so."""
    issuer = f"http://127.0.0.1:{free_port()}"
    app = app_with(
        tmp_path, engine, clock, issuer=issuer, client_id="ksp", client_secret="s", dev_login=False
    )
    browser = await browser_of(app)
    try:
        with structlog.testing.capture_logs() as events:
            page = await browser.get("/login")
        assert page.status_code == 502
        assert "kunne ikke nås" in page.text
        assert [e["reason"] for e in events if e["event"] == "sign-in-refused"] == ["discovery"]
    finally:
        await browser.aclose()
        app.state.mail.close()
