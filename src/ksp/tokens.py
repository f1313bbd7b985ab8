"""Bearer tokens: issue (``ksp token``, HS256) and verify (HS256, or RS256/ES256 by JWKS).

Every way a token can be wrong ends in the same :class:`NotAuthenticated`, with the same
message (pyca's opaque ``InvalidToken`` habit).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import jwt

from ksp.domain.access import Principal, Role
from ksp.domain.errors import NotAuthenticated

__all__ = ["TokenVerifier", "issue_token"]

_UNIT = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ASYMMETRIC = ["RS256", "ES256"]
LEEWAY_SECONDS = 30


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


def _principal(claims: dict[str, Any]) -> Principal:
    sub, role, unit, email = (claims.get(k) for k in ("sub", "role", "unit", "email"))
    if not isinstance(sub, str) or not 0 < len(sub) <= 200:
        raise NotAuthenticated
    if role not in {r.value for r in Role}:
        raise NotAuthenticated
    if not isinstance(unit, str) or len(unit) > 100 or not _UNIT.fullmatch(unit):
        raise NotAuthenticated
    if email is not None and not isinstance(email, str):
        raise NotAuthenticated
    if role == Role.PARTICIPANT and not email:
        raise NotAuthenticated  # CONTRACT.md: participants carry their e-mail
    return Principal(sub=sub, role=Role(role), unit=unit, email=email, name=_name(claims))


def _name(claims: dict[str, Any]) -> str | None:
    """The optional `name` claim: a person's name as documents show it, else nothing."""
    name = claims.get("name")
    if name is None:
        return None
    if not isinstance(name, str) or not 0 < len(name) <= 200 or not name.isprintable():
        raise NotAuthenticated
    return unicodedata.normalize("NFC", name)


class TokenVerifier:
    """HS256 with the embedded secret, unless a JWKS (file or URL) is configured."""

    def __init__(
        self,
        secret: bytes,
        *,
        jwks: str | None = None,
        issuer: str | None = None,
        audience: str | None = None,
    ) -> None:
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self._client: jwt.PyJWKClient | None = None
        self._keyset: jwt.PyJWKSet | None = None
        if jwks is not None and re.match(r"^https?://", jwks):
            self._client = jwt.PyJWKClient(jwks, cache_keys=True, lifespan=300)
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
        if not self.uses_jwks:
            return self._secret, ["HS256"]
        kid = jwt.get_unverified_header(token).get("kid")
        if not isinstance(kid, str):
            raise NotAuthenticated
        if self._client is not None:
            return self._client.get_signing_key(kid).key, _ASYMMETRIC
        assert self._keyset is not None
        return self._keyset[kid].key, _ASYMMETRIC

    def verify(self, token: str) -> Principal:
        """The caller's principal, or :class:`NotAuthenticated` for any fault at all."""
        try:
            key, algorithms = self._key(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                issuer=self._issuer,
                audience=self._audience,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "sub"], "verify_aud": self._audience is not None},
            )
        except (jwt.PyJWTError, KeyError, ValueError, json.JSONDecodeError):
            raise NotAuthenticated from None
        return _principal(claims)
