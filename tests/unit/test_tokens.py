"""Bearer tokens: HS256 with the embedded secret, or RS256/ES256 against a JWKS; every fault
is the same opaque NotAuthenticated. Keys are made in the test."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from ksp.domain.access import Principal, Role
from ksp.domain.errors import NotAuthenticated, TokenKeysUnavailable
from ksp.tokens import TokenVerifier, issue_token
from support.smtp import make_tls

SECRET = os.urandom(32)
NOW = dt.datetime.now(dt.UTC)
CLAIMS = {"sub": "u1", "role": "kif", "unit": "kif-hovedstaden"}


def claims(**changes: Any) -> dict[str, Any]:
    base = {
        **CLAIMS,
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + dt.timedelta(hours=1)).timestamp()),
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def test_a_token_from_ksp_token_verifies_to_its_principal() -> None:
    """ksp token: HS256 with the embedded secret, claims sub, role, unit (and email)."""
    token = issue_token(
        SECRET, sub="p1", role=Role.PARTICIPANT, unit="kommune-101", email="a@kommune.dk", now=NOW
    )
    assert TokenVerifier(SECRET).verify(token) == Principal(
        "p1", Role.PARTICIPANT, "kommune-101", "a@kommune.dk"
    )


@pytest.mark.parametrize(
    "token",
    [
        jwt.encode(claims(), os.urandom(32), algorithm="HS256"),  # another secret
        jwt.encode(
            claims(exp=int((NOW - dt.timedelta(hours=1)).timestamp())), SECRET, algorithm="HS256"
        ),  # expired
        jwt.encode(claims(exp=None), SECRET, algorithm="HS256"),  # no expiry
        jwt.encode(claims(sub=None), SECRET, algorithm="HS256"),
        jwt.encode(claims(role="admin"), SECRET, algorithm="HS256"),
        jwt.encode(claims(unit="Not A Slug"), SECRET, algorithm="HS256"),
        jwt.encode(claims(role="participant"), SECRET, algorithm="HS256"),  # no email
        jwt.encode(claims(), None, algorithm="none"),
        jwt.encode(claims(), SECRET + SECRET, algorithm="HS512"),
        jwt.encode(claims(role=["kif"]), SECRET, algorithm="HS256"),
        jwt.encode(claims(role={"kif": True}), SECRET, algorithm="HS256"),
        jwt.encode(claims(sub="u\ud800"), SECRET, algorithm="HS256"),
        jwt.encode(claims(sub="u\x00"), SECRET, algorithm="HS256"),
        jwt.encode(claims(sub=["u1"]), SECRET, algorithm="HS256"),
        jwt.encode(claims(unit=["kif-hovedstaden"]), SECRET, algorithm="HS256"),
        jwt.encode(claims(role="participant", email="a@b.dk\x00"), SECRET, algorithm="HS256"),
        jwt.encode(claims(iat=None), SECRET, algorithm="HS256"),
        jwt.encode(claims(iat="soon"), SECRET, algorithm="HS256"),
        jwt.encode(
            claims(exp=int((NOW + dt.timedelta(hours=12, seconds=1)).timestamp())),
            SECRET,
            algorithm="HS256",
        ),  # lives longer than KSP_TOKEN_MAX_TTL's default
        "",
        "a.b.c",
        "not a token",
        "é.é.é",
    ],
    ids=[
        "secret",
        "expired",
        "no-exp",
        "no-sub",
        "role",
        "unit",
        "email",
        "alg-none",
        "alg-hs512",
        "role-list",
        "role-object",
        "sub-lone-surrogate",
        "sub-nul",
        "sub-list",
        "unit-list",
        "email-nul",
        "no-iat",
        "iat-string",
        "lives-too-long",
        "empty",
        "dots",
        "garbage",
        "non-ascii",
    ],
)
def test_every_bad_token_is_the_same_opaque_error(token: str) -> None:
    """One error for every way a token can be wrong (pyca's InvalidToken habit)."""
    with pytest.raises(NotAuthenticated) as caught:
        TokenVerifier(SECRET).verify(token)
    assert caught.value.detail == NotAuthenticated.detail


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ec": ec.generate_private_key(ec.SECP256R1()),
    }


def jwks_of(keys: dict[str, Any]) -> str:
    rsa_jwk = json.loads(RSAAlgorithm.to_jwk(keys["rsa"].public_key()))
    ec_jwk = json.loads(ECAlgorithm.to_jwk(keys["ec"].public_key()))
    return json.dumps(
        {
            "keys": [
                {**rsa_jwk, "kid": "r1", "alg": "RS256", "use": "sig"},
                {**ec_jwk, "kid": "e1", "alg": "ES256", "use": "sig"},
            ]
        }
    )


def test_rs256_and_es256_tokens_verify_against_a_jwks_file(
    keys: dict[str, Any], tmp_path: Path
) -> None:
    """A real identity provider: RS256 or ES256 against a configured JWKS file."""
    path = tmp_path / "jwks.json"
    path.write_text(jwks_of(keys))
    verifier = TokenVerifier(SECRET, jwks=str(path), issuer="https://idp", audience="ksp")
    for key, alg, kid in ((keys["rsa"], "RS256", "r1"), (keys["ec"], "ES256", "e1")):
        token = jwt.encode(
            claims(iss="https://idp", aud="ksp"), key, algorithm=alg, headers={"kid": kid}
        )
        assert verifier.verify(token).unit == "kif-hovedstaden"
    wrong_audience = jwt.encode(
        claims(iss="https://idp", aud="other"),
        keys["rsa"],
        algorithm="RS256",
        headers={"kid": "r1"},
    )
    with pytest.raises(NotAuthenticated):
        verifier.verify(wrong_audience)


def test_with_a_jwks_the_embedded_hs256_secret_no_longer_signs_tokens(
    keys: dict[str, Any], tmp_path: Path
) -> None:
    """Algorithm confusion: once a JWKS is configured, HS256 tokens are refused."""
    path = tmp_path / "jwks.json"
    path.write_text(jwks_of(keys))
    token = issue_token(SECRET, sub="u", role=Role.KIF, unit="kif-x", now=NOW)
    with pytest.raises(NotAuthenticated):
        TokenVerifier(SECRET, jwks=str(path)).verify(token)


@pytest.fixture
def jwks_url(keys: dict[str, Any], tmp_path: Path) -> Iterator[tuple[str, ssl.SSLContext]]:
    """The JWKS served over TLS on loopback, and a client context that trusts its CA."""
    body = jwks_of(keys).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            return

    server_tls, ca_file = make_tls(tmp_path)
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield (
        f"https://127.0.0.1:{server.server_port}/jwks.json",
        ssl.create_default_context(cafile=ca_file),
    )
    server.shutdown()


def test_tokens_verify_against_a_jwks_url(
    keys: dict[str, Any], jwks_url: tuple[str, ssl.SSLContext]
) -> None:
    """The JWKS may also be fetched from the identity provider's https:// URL."""
    url, tls = jwks_url
    verifier = TokenVerifier(SECRET, jwks=url, jwks_tls=tls)
    assert verifier.fetches_keys
    token = jwt.encode(claims(), keys["ec"], algorithm="ES256", headers={"kid": "e1"})
    assert verifier.verify(token).sub == "u1"
    unknown_kid = jwt.encode(claims(), keys["ec"], algorithm="ES256", headers={"kid": "zz"})
    with pytest.raises(NotAuthenticated):
        verifier.verify(unknown_kid)


def test_a_jwks_url_over_plain_http_is_refused() -> None:
    """Keys fetched over plain HTTP could be anyone's: only https:// URLs are taken, and
    http:// only from this machine's loopback (a provider beside the service)."""
    with pytest.raises(ValueError, match="https"):
        TokenVerifier(SECRET, jwks="http://idp.example:1/jwks.json")
    with pytest.raises(ValueError, match="https"):
        TokenVerifier(SECRET, jwks="http://127.0.0.1.idp.example/jwks.json")
    assert TokenVerifier(SECRET, jwks="http://127.0.0.1:1/jwks.json").fetches_keys


@pytest.mark.parametrize(
    ("signing", "alg", "kid"),
    [("ec", "ES256", "r1"), ("rsa", "RS256", "e1"), ("rsa", "PS256", "r1")],
    ids=["es256-with-rsa-kid", "rs256-with-ec-kid", "ps256-with-rsa-kid"],
)
def test_a_token_whose_alg_is_not_its_keys_algorithm_is_the_opaque_error(
    keys: dict[str, Any], tmp_path: Path, signing: str, alg: str, kid: str
) -> None:
    """Each JWKS key verifies only its own algorithm: a mismatched header is a 401, not a 500."""
    path = tmp_path / "jwks.json"
    path.write_text(jwks_of(keys))
    token = jwt.encode(claims(), keys[signing], algorithm=alg, headers={"kid": kid})
    with pytest.raises(NotAuthenticated) as caught:
        TokenVerifier(SECRET, jwks=str(path)).verify(token)
    assert caught.value.detail == NotAuthenticated.detail


def test_a_token_over_the_length_limit_is_refused_before_it_is_parsed() -> None:
    """KSP_MAX_TOKEN_BYTES: a valid token padded past the limit is refused unread."""
    verifier = TokenVerifier(SECRET, max_token_bytes=1_024)
    token = jwt.encode(claims(pad="x" * 2_000), SECRET, algorithm="HS256")
    with pytest.raises(NotAuthenticated):
        verifier.verify(token)
    assert TokenVerifier(SECRET, max_token_bytes=4_096).verify(token).sub == "u1"


def test_a_shorter_configured_maximum_lifetime_refuses_a_token_that_lives_longer() -> None:
    """KSP_TOKEN_MAX_TTL: exp - iat over the configured maximum is refused."""
    token = issue_token(
        SECRET, sub="u", role=Role.KIF, unit="kif-x", ttl=dt.timedelta(hours=2), now=NOW
    )
    assert TokenVerifier(SECRET).verify(token).sub == "u"
    with pytest.raises(NotAuthenticated):
        TokenVerifier(SECRET, max_ttl=dt.timedelta(hours=1)).verify(token)


def test_a_jwks_url_that_cannot_be_fetched_is_unavailable_not_a_bad_token(
    keys: dict[str, Any],
) -> None:
    """The provider down is not the caller's fault: TokenKeysUnavailable (503), never the
    NotAuthenticated (401) that would tell a client to sign in again."""
    with socket.socket() as closed:  # a loopback port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    verifier = TokenVerifier(SECRET, jwks=f"http://127.0.0.1:{port}/jwks.json")
    token = jwt.encode(claims(), keys["rsa"], algorithm="RS256", headers={"kid": "r1"})
    with pytest.raises(TokenKeysUnavailable):
        verifier.verify(token)
