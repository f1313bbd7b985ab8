"""Signing in against real `ksp serve` processes over real sockets: the development sign-in
of `make run`, and two servers on one database behind the real OpenID provider."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey

from support.deployment import Deployment, deployment
from support.oidc import CLIENT_SECRET, NODE, Browser, running_provider
from support.require_oidc import REQUIRE_OIDC
from support.server import free_port


@pytest.fixture
def made(tmp_path: Path) -> Iterator[Deployment]:
    with deployment(tmp_path, None) as running:
        yield running


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def events(log: Path, name: str) -> list[dict[str, Any]]:
    lines = [line for line in log.read_text().splitlines() if line.startswith("{")]
    return [e for e in map(json.loads, lines) if e.get("event") == name]


def test_make_run_offers_the_development_sign_in_in_a_browser(made: Deployment) -> None:
    """The embedded default on loopback: pick an identity, see yourself, sign out; the
    security log has the sign-in and the sign-out with the sub and no name."""
    server = made.serve("web")
    assert server.base_url is not None
    with httpx.Client(base_url=server.base_url, timeout=10) as browser:
        login = browser.get("/login")
        assert "Udviklingstilstand" in login.text
        signed_in = browser.post(
            "/login/dev", data={"identity": "participant", "csrf_token": csrf_of(login)}
        )
        assert signed_in.status_code == 303
        home = browser.get("/")
        assert "<code>kommune-101</code>" in home.text
        assert browser.get("/api/v1/cases").status_code == 401
        assert browser.post("/logout", data={"csrf_token": csrf_of(home)}).status_code == 303
        assert browser.get("/").headers["location"] == "/login"
    server.stop()
    (signed,) = events(server.log, "sign-in")
    assert (signed["sub"], signed["method"]) == ("dev-participant", "development")
    assert events(server.log, "sign-out")[0]["sub"] == "dev-participant"
    assert "deltager@kommune-101.example" not in server.log.read_text()


@pytest.mark.oidc
async def test_two_servers_behind_the_provider_share_one_session(
    made: Deployment, tmp_path: Path
) -> None:
    """Signed in at server A through the real provider; server B serves the same session
    (one database), and a sign-out at B ends it at A too."""
    if NODE is None:
        if REQUIRE_OIDC:
            pytest.fail("KSP_REQUIRE_OIDC=1 but Node is not installed")
        pytest.skip("Node is not installed")
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**RSAKey.import_key(key).as_dict(private=False), "kid": "k"}
    with running_provider(tmp_path, jwk, (public_url,)) as provider:
        oidc = {
            "KSP_PUBLIC_URL": public_url,
            "KSP_OIDC_ISSUER": provider.issuer,
            "KSP_OIDC_CLIENT_ID": "ksp",
            "KSP_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "KSP_OIDC_SCOPES": "openid email ksp",
            "KSP_OIDC_ROLE_CLAIM": "ksp_role",
            "KSP_OIDC_UNIT_CLAIM": "ksp_unit",
        }
        a = made.serve("web-a", KSP_PORT=str(port), **oidc)
        b = made.serve("web-b", **oidc)
        assert b.base_url is not None
        person = Browser(None, public_url)
        try:
            assert (await person.sign_in("arrest-1")).status_code == 303
            assert "<code>arrest-1</code>" in (await person.service.get("/")).text
            cookie = person.service.cookies["ksp_session"]
            async with httpx.AsyncClient(base_url=b.base_url, timeout=10) as at_b:
                at_b.cookies.set("ksp_session", cookie)
                page = await at_b.get("/")
                assert "<code>arrest-koebenhavn</code>" in page.text
                out = await at_b.post("/logout", data={"csrf_token": csrf_of(page)})
                assert out.headers["location"].startswith(provider.issuer + "/session/end")
            assert (await person.service.get("/")).headers["location"] == "/login"
        finally:
            await person.close()
        a.stop()
    (signed,) = events(a.log, "sign-in")
    assert (signed["sub"], signed["acr"]) == (
        "arrest-1",
        "https://data.gov.dk/concept/core/nsis/loa/Substantial",
    )
