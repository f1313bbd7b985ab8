"""Bearer tokens: issue (``ksp token``, HS256) and verify (HS256, or RS256/ES256 by JWKS).

Every way a token can be wrong ends in the same :class:`NotAuthenticated`, with the same
message (pyca's opaque ``InvalidToken`` habit): too long, malformed, an algorithm other than
the one its key is bound to, a lifetime over the maximum, claims of the wrong type or with
characters that cannot be stored or logged.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import ssl
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeGuard
from urllib.parse import urlsplit

import jwt

from ksp.domain.access import Principal, Role
from ksp.domain.errors import NotAuthenticated, TokenKeysUnavailable

__all__ = [
    "DEFAULT_MAX_TOKEN_BYTES",
    "DEFAULT_MAX_TTL",
    "TokenVerifier",
    "issue_token",
    "principal_from_claims",
    "secure_key_url",
]

_UNIT = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ASYMMETRIC = frozenset({"RS256", "ES256"})
_ROLES = frozenset(r.value for r in Role)
LEEWAY_SECONDS = 30
DEFAULT_MAX_TTL = dt.timedelta(hours=12)  # KSP_TOKEN_MAX_TTL
DEFAULT_MAX_TOKEN_BYTES = 8_192  # KSP_MAX_TOKEN_BYTES: refused before any parsing


def issue_token(
    secret: bytes,
    *,
    sub: str,
    role: Role,
    unit: str,
    email: str | None = None,
    ttl: dt.timedelta = dt.timedelta(hours=1),
    now: dt.datetime,
    name: str | None = None,
) -> str:
    """An HS256 token with the claims CONTRACT.md names."""
    claims: dict[str, Any] = {
        "sub": sub,
        "role": role.value,
        "unit": unit,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    if email is not None:
        claims["email"] = email
    if name is not None:
        claims["name"] = name
    return jwt.encode(claims, secret, algorithm="HS256")


def _printable(value: object, max_len: int) -> TypeGuard[str]:
    """A non-empty string without control characters, NUL or lone surrogates: what a
    database column and a log line can hold."""
    return isinstance(value, str) and 0 < len(value) <= max_len and value.isprintable()


def _principal(claims: Mapping[str, Any]) -> Principal:
    sub, role, unit, email = (claims.get(k) for k in ("sub", "role", "unit", "email"))
    if not _printable(sub, 200) or not isinstance(role, str) or role not in _ROLES:
        raise NotAuthenticated
    if not isinstance(unit, str) or len(unit) > 100 or not _UNIT.fullmatch(unit):
        raise NotAuthenticated
    if email is not None and not _printable(email, 254):
        raise NotAuthenticated
    if role == Role.PARTICIPANT and not email:
        raise NotAuthenticated  # CONTRACT.md: participants carry their e-mail
    return Principal(sub=sub, role=Role(role), unit=unit, email=email, name=_name(claims))


def _name(claims: Mapping[str, Any]) -> str | None:
    """The optional `name` claim: a person's name as documents show it, else nothing."""
    name = claims.get("name")
    if name is None:
        return None
    if not isinstance(name, str) or not 0 < len(name) <= 200 or not name.isprintable():
        raise NotAuthenticated
    return unicodedata.normalize("NFC", name)


principal_from_claims = _principal
"""The principal of claims named as ours (``sub``, ``role``, ``unit``, ``email``)."""

ClaimRenamer = Callable[[Mapping[str, Any]], Mapping[str, Any]]


def secure_key_url(url: str) -> bool:
    """Keys are fetched over https; plain http only from this machine itself (a provider on
    loopback, as in development and the tests), where nobody on the network can alter them."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "https":
        return True
    return parts.scheme.lower() == "http" and (parts.hostname or "") in _LOOPBACK_HOSTS


_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class TokenVerifier:
    """HS256 with the embedded secret, unless a JWKS (file or ``https://`` URL) is
    configured; then each key verifies only the one algorithm its JWK names or implies."""

    def __init__(
        self,
        secret: bytes,
        *,
        jwks: str | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        max_ttl: dt.timedelta = DEFAULT_MAX_TTL,
        max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES,
        jwks_tls: ssl.SSLContext | None = None,
        claims_of: ClaimRenamer | None = None,
    ) -> None:
        """``claims_of`` renames a provider's claims to ours (sign-in's claim mapping); it
        applies to JWKS-verified tokens only, never to our own HS256 ones."""
        self._secret = secret
        self._claims_of = claims_of
        self._issuer = issuer
        self._audience = audience
        self._max_ttl = max_ttl.total_seconds()
        self._max_token_bytes = max_token_bytes
        self._client: jwt.PyJWKClient | None = None
        self._keyset: jwt.PyJWKSet | None = None
        if jwks is not None and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", jwks):
            if not secure_key_url(jwks):
                raise ValueError("a JWKS URL must be https:// (or http:// to a loopback host)")
            self._client = jwt.PyJWKClient(
                jwks, cache_keys=True, lifespan=300, timeout=10, ssl_context=jwks_tls
            )
        elif jwks is not None:
            self._keyset = jwt.PyJWKSet.from_json(Path(jwks).read_text())

    @property
    def uses_jwks(self) -> bool:
        return self._client is not None or self._keyset is not None

    @property
    def fetches_keys(self) -> bool:
        """Verification may fetch a JWKS over the network (run it off the event loop)."""
        return self._client is not None

    def _key(self, token: str) -> tuple[Any, list[str]]:
        """The key for the token's ``kid`` and the one algorithm that key may verify: an RSA
        key RS256, a P-256 key ES256, whatever the token's header claims."""
        if not self.uses_jwks:
            return self._secret, ["HS256"]
        kid = jwt.get_unverified_header(token).get("kid")
        if not isinstance(kid, str):
            raise NotAuthenticated
        if self._client is not None:
            jwk = self._client.get_signing_key(kid)
        else:
            assert self._keyset is not None
            jwk = self._keyset[kid]
        if jwk.algorithm_name not in _ASYMMETRIC:
            raise NotAuthenticated
        return jwk.key, [jwk.algorithm_name]

    def _claims(self, token: str) -> dict[str, Any]:
        key, algorithms = self._key(token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            issuer=self._issuer,
            audience=self._audience,
            leeway=LEEWAY_SECONDS,
            options={
                "require": ["exp", "iat", "sub"],
                "verify_aud": self._audience is not None,
            },
        )
        lifetime = claims["exp"] - claims["iat"]  # both checked to be numbers by PyJWT
        if lifetime > self._max_ttl:
            raise NotAuthenticated
        return claims

    def verify(self, token: str) -> Principal:
        """The caller's principal, or :class:`NotAuthenticated` for any fault at all."""
        if len(token) > self._max_token_bytes:
            raise NotAuthenticated  # before any parsing or key look-up
        try:
            claims = self._claims(token)
        except jwt.PyJWKClientConnectionError:
            raise TokenKeysUnavailable from None  # the provider is down, not the token bad
        except (jwt.PyJWTError, KeyError, ValueError, TypeError, json.JSONDecodeError):
            raise NotAuthenticated from None
        if self._claims_of is not None and self.uses_jwks:
            return _principal(self._claims_of(claims))
        return _principal(claims)
