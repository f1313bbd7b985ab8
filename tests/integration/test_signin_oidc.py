"""Signing in through a real OpenID provider on loopback (CONTRACT.md, "Signing in"): the
whole flow over HTTP, each way the provider's answer can be wrong, and the session after."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import make_settings
from ksp.api.app import create_app
from ksp.auth.config import SignInSettings
from ksp.settings import Settings
from support.clock import FixedClock
from support.oidc import (
    CLIENT_SECRET,
    HIGH,
    LOW,
    NODE,
    PUBLIC_URL,
    SUBSTANTIAL,
    Browser,
    Provider,
    query_of,
    running_provider,
    through_provider,
)
from support.require_oidc import REQUIRE_OIDC
from support.web_session import forged

pytestmark = pytest.mark.oidc

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"


@pytest.fixture(scope="module")
def client_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def provider(
    tmp_path_factory: pytest.TempPathFactory, client_key: rsa.RSAPrivateKey
) -> Iterator[Provider]:
    if NODE is None:
        if REQUIRE_OIDC:
            pytest.fail("KSP_REQUIRE_OIDC=1 but Node is not installed")
        pytest.skip("Node is not installed")
    pem = client_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = RSAKey.import_key(pem).as_dict(private=False)
    with running_provider(tmp_path_factory.mktemp("oidc"), {**public, "kid": "ksp-1"}) as running:
        yield running


def sign_in_settings(provider: Provider, **changes: Any) -> SignInSettings:
    settings = SignInSettings(
        public_url=PUBLIC_URL,
        issuer=provider.issuer,
        client_id="ksp",
        client_secret=CLIENT_SECRET,
        scopes=("openid", "email", "ksp"),
        required_acr=(SUBSTANTIAL, HIGH),
        role_claim="ksp_role",
        unit_claim="ksp_unit",
    )
    return dataclasses.replace(settings, **changes)


@pytest.fixture(scope="module")
def oidc_clock() -> FixedClock:
    return FixedClock(dt.datetime.now(dt.UTC))


@pytest.fixture
def clock_now(oidc_clock: FixedClock) -> FixedClock:
    """The app's clock at the real time (the provider's tokens are checked against it)."""
    oidc_clock.set(dt.datetime.now(dt.UTC))
    return oidc_clock


def make_app(
    tmp: Path, engine: AsyncEngine, clock: FixedClock, sign_in: SignInSettings
) -> Litestar:
    settings = dataclasses.replace(make_settings(tmp), sign_in=sign_in)
    return create_app(settings, engine=engine, clock=clock)


@pytest.fixture(scope="module")
def app(
    tmp_path_factory: pytest.TempPathFactory,
    engine: AsyncEngine,
    provider: Provider,
    oidc_clock: FixedClock,
) -> Iterator[Litestar]:
    application = make_app(
        tmp_path_factory.mktemp("var"), engine, oidc_clock, sign_in_settings(provider)
    )
    yield application
    application.state.mail.close()


@pytest.fixture
async def browser(app: Litestar, clock_now: FixedClock) -> AsyncIterator[Browser]:
    person = Browser(app)
    yield person
    await person.close()


def session_cookie(response: httpx.Response) -> str:
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("ksp_session=")
    )
    return cookie.split(";")[0].split("=", 1)[1]


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


@pytest.fixture
def security_log() -> Iterator[list[dict[str, Any]]]:
    """The events logged during the test."""
    with structlog.testing.capture_logs() as events:
        yield events


def security_events(events: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [e for e in events if e.get("event") == event]


def assert_refused(response: httpx.Response, status: int, reason: str) -> None:
    assert response.status_code == status, response.text
    assert f"<code>{reason}</code>" in response.text
    assert "Du blev ikke logget ind" in response.text
    assert not any(c.startswith("ksp_session=") for c in response.headers.get_list("set-cookie"))


async def test_a_good_sign_in_starts_a_session_that_shows_who_you_are(
    browser: Browser, security_log: list[dict[str, Any]]
) -> None:
    """Code flow with PKCE S256, state, nonce and acr_values; the landing page names you."""
    authorization = await browser.start()
    query = query_of(authorization)
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 43
    assert len(query["nonce"]) >= 43
    assert query["state"] != query["nonce"]
    assert query["redirect_uri"] == PUBLIC_URL + "/auth/callback"
    assert query["acr_values"] == f"{SUBSTANTIAL} {HIGH}"
    came_back = await browser.come_back(await browser.authorize(authorization, "arrest-1"))
    assert came_back.status_code == 303
    assert came_back.headers["location"] == "/"
    cookie = next(
        c for c in came_back.headers.get_list("set-cookie") if c.startswith("ksp_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    home = await browser.service.get("/")
    assert home.status_code == 200
    assert "<code>arrest-1</code>" in home.text
    assert "<code>arrest-koebenhavn</code>" in home.text
    assert "Udviklingstilstand" not in home.text
    (event,) = security_events(security_log, "sign-in")
    assert (event["sub"], event["acr"], event["method"]) == ("arrest-1", SUBSTANTIAL, "oidc")
    assert event["at"]


async def test_a_wrong_state_is_refused(browser: Browser) -> None:
    """The callback's state must be the one this browser's /login started."""
    callback = await browser.authorize(await browser.start(), "arrest-1")
    state = query_of(callback)["state"]
    assert_refused(await browser.come_back(callback.replace(state, "x" * 43)), 400, "state")


async def test_an_error_answer_from_the_provider_is_refused(browser: Browser) -> None:
    """The provider answers with `error` (the person cancelled, say): no session."""
    callback = await browser.authorize(await browser.start(), "arrest-1")
    state = query_of(callback)["state"]
    cancelled = f"{PUBLIC_URL}/auth/callback?error=access_denied&state={state}"
    assert_refused(await browser.come_back(cancelled), 400, "provider-error")


async def test_a_sign_in_attempt_older_than_ten_minutes_is_refused(
    browser: Browser, clock_now: FixedClock
) -> None:
    """The state of /login is good for ten minutes only."""
    callback = await browser.authorize(await browser.start(), "arrest-1")
    clock_now.set(clock_now.now() + dt.timedelta(minutes=10))
    assert_refused(await browser.come_back(callback), 400, "state")


async def test_a_callback_in_another_browser_is_refused(app: Litestar, browser: Browser) -> None:
    """Login CSRF: the state is bound to the browser that asked for it (its cookie)."""
    callback = await browser.authorize(await browser.start(), "arrest-1")
    other = Browser(app)
    try:
        assert_refused(await other.come_back(callback), 400, "state")
    finally:
        await other.close()


async def test_a_replayed_code_is_refused(browser: Browser) -> None:
    """The same callback twice fails at the one-use state; the old code with a new state
    fails at the provider (a used code, and not this attempt's PKCE verifier)."""
    callback = await browser.authorize(await browser.start(), "arrest-1")
    assert (await browser.come_back(callback)).status_code == 303
    assert_refused(await browser.come_back(callback), 400, "state")
    fresh = await browser.authorize(await browser.start(), "arrest-1")
    replayed = fresh.replace(query_of(fresh)["code"], query_of(callback)["code"])
    assert_refused(await browser.come_back(replayed), 400, "code-refused")


@pytest.mark.parametrize(
    ("account", "reason"),
    [
        ("wrong-nonce", "id-token-nonce"),
        ("other-audience", "id-token-aud"),
        ("expired", "id-token-exp"),
    ],
)
async def test_an_id_token_that_fails_a_check_is_refused(
    browser: Browser, account: str, reason: str
) -> None:
    """A token signed by the provider's own key, but for another nonce, another audience,
    or expired, starts no session."""
    assert_refused(await browser.sign_in(account), 400, reason)
    assert (await browser.service.get("/")).headers["location"] == "/login"


@pytest.mark.parametrize(
    ("account", "reason", "acr", "why"),
    [
        ("low-acr", "acr-too-low", LOW, "det sikringsniveau, som KSP kræver"),
        ("no-role", "unmapped", HIGH, "ingen rolle i KSP-samarbejdet"),
    ],
)
async def test_a_too_low_acr_or_an_unmapped_role_is_refused_with_a_danish_page_and_logged(
    browser: Browser,
    security_log: list[dict[str, Any]],
    account: str,
    reason: str,
    acr: str,
    why: str,
) -> None:
    """NSIS Low is below KSP_OIDC_REQUIRED_ACR (Substantial or High), and claims without a
    role map to nothing: the page says why, in Danish, and the log has sub and acr."""
    response = await browser.sign_in(account)
    assert_refused(response, 403, reason)
    assert why in response.text
    (event,) = security_events(security_log, "sign-in-refused")
    assert (event["sub"], event["acr"], event["reason"]) == (account, acr, reason)
    assert event["at"]


async def test_a_broker_that_states_the_level_in_loa_is_read_like_acr(app: Litestar) -> None:
    """Some NemLog-in brokers send `loa` instead of `acr`: Substantial passes, Low does not."""
    good, low = Browser(app), Browser(app)
    try:
        assert (await good.sign_in("loa-broker")).status_code == 303
        assert_refused(await low.sign_in("low-loa-broker"), 403, "acr-too-low")
    finally:
        await good.close()
        await low.close()


async def test_a_participant_signs_in_with_the_email_claim(browser: Browser) -> None:
    """Participants carry their e-mail (CONTRACT.md); it comes from the `email` claim."""
    assert (await browser.sign_in("participant-1")).status_code == 303
    home = await browser.service.get("/")
    assert "<code>participant</code>" in home.text
    assert "<code>kommune-101</code>" in home.text


async def test_a_session_cookie_replayed_after_sign_out_is_dead(browser: Browser) -> None:
    """POST /logout ends the session in the database and sends the browser on to the
    provider's end_session_endpoint."""
    cookie = session_cookie(await browser.sign_in("arrest-1"))
    token = csrf_of(await browser.service.get("/"))
    out = await browser.service.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303
    assert out.headers["location"].startswith(browser_issuer(browser) + "/session/end?")
    assert query_of(out.headers["location"])["post_logout_redirect_uri"] == PUBLIC_URL + "/"
    browser.service.cookies.set("ksp_session", cookie)
    replay = await browser.service.get("/")
    assert (replay.status_code, replay.headers["location"]) == (303, "/login")


def browser_issuer(browser: Browser) -> str:
    return str(browser.service._transport.app.state.sign_in.oidc.issuer)  # type: ignore[attr-defined]


async def test_a_session_ends_after_30_minutes_idle(
    browser: Browser, clock_now: FixedClock
) -> None:
    """Each request starts the idle time again; 30 minutes without one ends the session."""
    await browser.sign_in("arrest-1")
    start = clock_now.now()
    clock_now.set(start + dt.timedelta(minutes=29))
    assert (await browser.service.get("/")).status_code == 200
    clock_now.set(start + dt.timedelta(minutes=58))
    assert (await browser.service.get("/")).status_code == 200
    clock_now.set(start + dt.timedelta(minutes=88))
    assert (await browser.service.get("/")).headers["location"] == "/login"


async def test_a_session_ends_after_10_hours_in_all(
    browser: Browser, clock_now: FixedClock
) -> None:
    """Active all day, the session still ends 10 hours after sign-in."""
    await browser.sign_in("arrest-1")
    start = clock_now.now()
    for minutes in range(20, 600, 20):
        clock_now.set(start + dt.timedelta(minutes=minutes))
        assert (await browser.service.get("/")).status_code == 200, minutes
    clock_now.set(start + dt.timedelta(hours=10))
    assert (await browser.service.get("/")).headers["location"] == "/login"


async def test_the_session_cookie_is_not_accepted_by_the_api(browser: Browser) -> None:
    """/api/v1 takes bearer tokens only: the signed-in browser's cookie gets 401."""
    await browser.sign_in("arrest-1")
    assert (await browser.service.get("/")).status_code == 200
    response = await browser.service.get("/api/v1/cases")
    assert response.status_code == 401
    assert response.json()["type"] == PROBLEMS + "not-authenticated"


async def test_a_form_post_without_csrf_token_is_forbidden(browser: Browser) -> None:
    """POST /logout without the session's CSRF token (or with another's) is 403, and the
    session lives on."""
    await browser.sign_in("arrest-1")
    token = csrf_of(await browser.service.get("/"))
    for data in ({}, {"csrf_token": forged(token)}):
        response = await browser.service.post("/logout", data=data)
        assert response.status_code == 403
        assert response.json()["type"] == PROBLEMS + "csrf-token-invalid"
    assert (await browser.service.get("/")).status_code == 200
    header = await browser.service.post("/logout", headers={"X-CSRF-Token": token})
    assert header.status_code == 303


async def test_signing_in_again_renews_the_session_id(browser: Browser) -> None:
    """A new sign-in gives a new session id, and the one before it is dead."""
    first = session_cookie(await browser.sign_in("arrest-1"))
    second = session_cookie(await browser.sign_in("participant-1"))
    assert first != second
    browser.service.cookies.set("ksp_session", first)
    assert (await browser.service.get("/")).headers["location"] == "/login"


async def test_two_instances_on_one_database_share_a_session(
    tmp_path: Path,
    engine: AsyncEngine,
    provider: Provider,
    clock_now: FixedClock,
    app: Litestar,
    browser: Browser,
) -> None:
    """Signed in at one instance, served by the other; signed out there, dead at both."""
    other_app = make_app(tmp_path, engine, clock_now, sign_in_settings(provider))
    other = Browser(other_app)
    try:
        cookie = session_cookie(await browser.sign_in("arrest-1"))
        other.service.cookies.set("ksp_session", cookie)
        page = await other.service.get("/")
        assert page.status_code == 200
        assert "<code>arrest-1</code>" in page.text
        await other.service.post("/logout", data={"csrf_token": csrf_of(page)})
        assert (await browser.service.get("/")).headers["location"] == "/login"
    finally:
        await other.close()
        other_app.state.mail.close()


async def test_private_key_jwt_and_a_mapping_file_sign_in(
    tmp_path: Path,
    engine: AsyncEngine,
    provider: Provider,
    clock_now: FixedClock,
    client_key: rsa.RSAPrivateKey,
) -> None:
    """The client authenticates with a signed JWT (KSP_OIDC_PRIVATE_KEY_FILE), and groups
    map to role and unit by KSP_OIDC_MAPPING_FILE."""
    mapping = tmp_path / "mapping.json"
    kif = {"role": "kif", "unit": "kif-hovedstaden"}
    mapping.write_text(json.dumps({"claim": "groups", "groups": {"g-kif": kif}}))
    pem = client_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    settings = sign_in_settings(
        provider,
        client_id="ksp-jwt",
        client_secret=None,
        private_key_pem=pem,
        mapping_file=str(mapping),
    )
    jwt_app = make_app(tmp_path, engine, clock_now, settings)
    person, another = Browser(jwt_app), Browser(jwt_app)
    try:
        assert (await person.sign_in("kif-by-group")).status_code == 303
        home = await person.service.get("/")
        assert "<code>kif-hovedstaden</code>" in home.text
        assert_refused(await another.sign_in("no-role"), 403, "unmapped")
    finally:
        await person.close()
        await another.close()
        jwt_app.state.mail.close()


async def provider_id_token(provider: Provider, account: str) -> str:
    """An ID token from the provider for ``account``, fetched as a program would."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "client_id": "ksp",
        "response_type": "code",
        "scope": "openid email ksp",
        "redirect_uri": PUBLIC_URL + "/auth/callback",
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    async with httpx.AsyncClient(timeout=10) as http:
        url = f"{provider.issuer}/auth?{urlencode(params)}"
        callback = await through_provider(http, url, account)
        answer = await http.post(
            provider.issuer + "/token",
            data={
                "grant_type": "authorization_code",
                "code": query_of(callback)["code"],
                "redirect_uri": params["redirect_uri"],
                "code_verifier": verifier,
            },
            auth=("ksp", CLIENT_SECRET),
        )
    token: str = answer.json()["id_token"]
    return token


async def test_an_api_token_from_the_provider_passes_through_the_same_claim_mapping(
    settings: Settings, engine: AsyncEngine, provider: Provider, clock_now: FixedClock
) -> None:
    """With KSP_JWKS at the provider's jwks_uri, its tokens' ksp_role and ksp_unit are
    mapped like a sign-in's: the arrest officer may list cases, a token without a role
    is 401. (The session's keys: other tests' cases of that unit are in this database.)"""
    settings = dataclasses.replace(
        settings,
        sign_in=sign_in_settings(provider),
        jwks=provider.issuer + "/jwks",
        jwt_issuer=provider.issuer,
        jwt_audience="ksp",
    )
    api_app = create_app(settings, engine=engine, clock=clock_now)
    transport = httpx.ASGITransport(app=api_app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
            for account, status in (("arrest-1", 200), ("no-role", 401)):
                token = await provider_id_token(provider, account)
                listed = await client.get(
                    "/api/v1/cases", headers={"Authorization": f"Bearer {token}"}
                )
                assert listed.status_code == status, (account, listed.text)
    finally:
        api_app.state.mail.close()
