"""Bearer tokens: HS256 with the embedded secret, or RS256/ES256 against a JWKS; every fault
is the same opaque NotAuthenticated. Keys are made in the test."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from ksp.domain.access import Principal, Role
from ksp.domain.errors import NotAuthenticated
from ksp.tokens import TokenVerifier, issue_token

SECRET = os.urandom(32)
NOW = dt.datetime.now(dt.UTC)
CLAIMS = {"sub": "u1", "role": "kif", "unit": "kif-hovedstaden"}


def claims(**changes: Any) -> dict[str, Any]:
    base = {**CLAIMS, "exp": int((NOW + dt.timedelta(hours=1)).timestamp())}
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
        "",
        "a.b.c",
        "not a token",
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
        "empty",
        "dots",
        "garbage",
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
def jwks_url(keys: dict[str, Any]) -> Iterator[str]:
    body = jwks_of(keys).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            return

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json"
    server.shutdown()


def test_tokens_verify_against_a_jwks_url(keys: dict[str, Any], jwks_url: str) -> None:
    """The JWKS may also be fetched from the identity provider's URL."""
    verifier = TokenVerifier(SECRET, jwks=jwks_url)
    assert verifier.fetches_keys
    token = jwt.encode(claims(), keys["ec"], algorithm="ES256", headers={"kid": "e1"})
    assert verifier.verify(token).sub == "u1"
    unknown_kid = jwt.encode(claims(), keys["ec"], algorithm="ES256", headers={"kid": "zz"})
    with pytest.raises(NotAuthenticated):
        verifier.verify(unknown_kid)
