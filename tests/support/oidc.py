"""A real OpenID provider (``oidc-provider`` from npm, tests/oidc/provider.mjs) on loopback,
and a browser that walks the sign-in through it.

The provider logs in the account named by the authorization request's ``login_hint`` (which
the browser adds, as a person would type their name), and some accounts make it misbehave:
their ID tokens come altered (another audience, expired, a wrong nonce) and re-signed with
the provider's own key.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from support.server import free_port

OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"
NODE = shutil.which("node")
NSIS = "https://data.gov.dk/concept/core/nsis/loa/"
SUBSTANTIAL, HIGH, LOW = NSIS + "Substantial", NSIS + "High", NSIS + "Low"
PUBLIC_URL = "http://127.0.0.1:8000"
CLIENT_SECRET = "a-client-secret-of-the-test-provider-only"

_ARREST = {"ksp_role": "arrest", "ksp_unit": "arrest-koebenhavn"}
ACCOUNTS: dict[str, dict[str, Any]] = {
    "arrest-1": {"claims": _ARREST, "acr": SUBSTANTIAL},
    "participant-1": {
        "claims": {"ksp_role": "participant", "ksp_unit": "kommune-101", "email": "p@k101.dk"},
        "acr": HIGH,
    },
    "kif-by-group": {"claims": {"groups": ["g-other", "g-kif"]}, "acr": SUBSTANTIAL},
    "low-acr": {"claims": _ARREST, "acr": LOW},
    "no-role": {"claims": {"ksp_unit": "arrest-koebenhavn", "groups": ["g-other"]}, "acr": HIGH},
    "expired": {"claims": _ARREST, "acr": SUBSTANTIAL, "misbehave": {"expired": True}},
    "other-audience": {"claims": _ARREST, "acr": SUBSTANTIAL, "misbehave": {"aud": "not-ksp"}},
    "loa-broker": {
        "claims": _ARREST,
        "acr": SUBSTANTIAL,
        "misbehave": {"acr": None, "loa": SUBSTANTIAL},
    },
    "low-loa-broker": {
        "claims": _ARREST,
        "acr": SUBSTANTIAL,
        "misbehave": {"acr": None, "loa": LOW},
    },
    "wrong-nonce": {"claims": _ARREST, "acr": SUBSTANTIAL, "misbehave": {"nonce": "not-it"}},
}


def clients(public_jwk: dict[str, Any], public_urls: tuple[str, ...]) -> list[dict[str, Any]]:
    common = {
        "redirect_uris": [url + "/auth/callback" for url in public_urls],
        "post_logout_redirect_uris": [url + "/" for url in public_urls],
        "response_types": ["code"],
        "grant_types": ["authorization_code"],
    }
    return [
        {
            **common,
            "client_id": "ksp",
            "client_secret": CLIENT_SECRET,
            "token_endpoint_auth_method": "client_secret_basic",
        },
        {
            **common,
            "client_id": "ksp-jwt",
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "RS256",
            "jwks": {"keys": [public_jwk]},
        },
    ]


@dataclass(frozen=True)
class Provider:
    issuer: str
    log: Path


@contextmanager
def running_provider(
    workdir: Path, public_jwk: dict[str, Any], public_urls: tuple[str, ...] = (PUBLIC_URL,)
) -> Iterator[Provider]:
    """Start tests/oidc/provider.mjs (installed by `make install`) and stop it afterwards."""
    assert NODE is not None
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError("oidc-provider is not installed: run `make install`")
    port = free_port()
    config = workdir / "provider.json"
    config.write_text(
        json.dumps(
            {
                "port": port,
                "acrValues": [LOW, SUBSTANTIAL, HIGH],
                "clients": clients(public_jwk, public_urls),
                "accounts": ACCOUNTS,
            }
        )
    )
    log = workdir / "provider.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [NODE, str(OIDC_DIR / "provider.mjs"), str(config)],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            issuer = f"http://127.0.0.1:{port}"
            _wait_for(issuer, process, log)
            yield Provider(issuer, log)
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_for(issuer: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the OpenID provider exited: {log.read_text()[-2000:]}")
        try:
            url = issuer + "/.well-known/openid-configuration"
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the OpenID provider did not start")


class Browser:
    """One person's browser: cookies for the service (through the app) and the provider
    (over HTTP), and redirects followed by hand so each step can be looked at."""

    def __init__(self, app: Any, public_url: str = PUBLIC_URL) -> None:
        """``app`` is the Litestar app, or None for a real server at ``public_url``."""
        if app is None:
            self.service = httpx.AsyncClient(base_url=public_url, timeout=10)
        else:
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            self.service = httpx.AsyncClient(transport=transport, base_url=public_url)
        self.provider = httpx.AsyncClient(timeout=10)
        self.public_url = public_url

    async def close(self) -> None:
        await self.service.aclose()
        await self.provider.aclose()

    async def start(self) -> str:
        """GET /login: the provider's authorization URL."""
        response = await self.service.get("/login")
        assert response.status_code == 302, response.text
        return response.headers["location"]

    async def authorize(self, authorization_url: str, account: str) -> str:
        """At the provider as ``account``: the URL it sends the browser back to."""
        return await through_provider(self.provider, authorization_url, account, self.public_url)

    async def come_back(self, callback_url: str) -> httpx.Response:
        split = urlsplit(callback_url)
        return await self.service.get(f"{split.path}?{split.query}")

    async def sign_in(self, account: str) -> httpx.Response:
        return await self.come_back(await self.authorize(await self.start(), account))


async def through_provider(
    http: httpx.AsyncClient, authorization_url: str, account: str, back_to: str = PUBLIC_URL
) -> str:
    """Follow the provider's redirects as ``account``, up to the way back to the service."""
    url = f"{authorization_url}&{urlencode({'login_hint': account})}"
    for _ in range(10):
        response = await http.get(url)
        location = response.headers.get("location")
        assert location, f"{response.status_code} {response.text[:300]}"
        url = str(httpx.URL(url).join(location))
        if url.startswith(back_to + "/"):
            return url
    raise AssertionError("the provider never sent the browser back")


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
