"""The OpenID Connect relying party: discovery, the authorization request (code flow with
PKCE S256, ``state``, ``nonce``), the token request (``client_secret_basic`` or
``private_key_jwt``, by Authlib) and the ID token's checks (joserfc, the provider's JWKS).

Every way the provider's answer can be wrong ends in :class:`SignInRefused` with a short
reason code (logged, and turned into a Danish page by ``ksp.auth.web``); the reason never
carries a claim's value.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_token_request
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from ksp.auth.config import SignInSettings
from ksp.services.ports import Clock

__all__ = ["AuthorizationRequest", "OidcClient", "ProviderMetadata", "SignInRefused"]

LEEWAY_SECONDS = 60
ID_TOKEN_ALGORITHMS = ["RS256", "PS256", "ES256"]
_TIMEOUT = httpx.Timeout(10.0)


class SignInRefused(Exception):
    """The sign-in cannot go on; ``reason`` is one of a few fixed codes."""

    def __init__(self, reason: str, *, sub: str | None = None, acr: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sub = sub
        self.acr = acr


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    url: str
    nonce: str
    code_verifier: str


def _metadata(document: Any, issuer: str) -> ProviderMetadata:
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        raise SignInRefused("discovery")
    try:
        return ProviderMetadata(
            issuer=issuer,
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            jwks_uri=str(document["jwks_uri"]),
            end_session_endpoint=document.get("end_session_endpoint"),
        )
    except KeyError:
        raise SignInRefused("discovery") from None


class OidcClient:
    """One provider (``KSP_OIDC_ISSUER``); its metadata and keys are fetched when first
    needed, and the keys again when a token names a key id they lack."""

    def __init__(self, settings: SignInSettings, clock: Clock) -> None:
        assert settings.issuer is not None
        assert settings.client_id is not None
        self._settings = settings
        self.issuer = settings.issuer
        self._client_id = settings.client_id
        self._clock = clock
        self._metadata: ProviderMetadata | None = None
        self._keys: KeySet | None = None

    async def _get_json(self, url: str, reason: str) -> Any:
        try:
            async with httpx.AsyncClient(timeout=_TIMEOUT) as http:
                response = await http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError):
            raise SignInRefused(reason) from None

    async def metadata(self) -> ProviderMetadata:
        if self._metadata is None:
            url = self.issuer + "/.well-known/openid-configuration"
            self._metadata = _metadata(await self._get_json(url, "discovery"), self.issuer)
        return self._metadata

    async def authorization_request(
        self, state_of: Callable[[str, str], Awaitable[str]]
    ) -> tuple[AuthorizationRequest, str]:
        """A new request: ``state_of(nonce, verifier)`` stores the attempt, gives its state."""
        metadata = await self.metadata()
        nonce, verifier = generate_token(43), generate_token(64)
        state = await state_of(nonce, verifier)
        params = [
            ("response_type", "code"),
            ("client_id", self._client_id),
            ("redirect_uri", self._settings.redirect_uri),
            ("scope", " ".join(self._settings.scopes)),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", create_s256_code_challenge(verifier)),
            ("code_challenge_method", "S256"),
        ]
        if self._settings.required_acr:
            params.append(("acr_values", " ".join(self._settings.required_acr)))
        url = add_params_to_uri(metadata.authorization_endpoint, params)
        return AuthorizationRequest(url, nonce, verifier), state

    def _client_auth(self, token_endpoint: str) -> ClientAuth:
        if self._settings.private_key_pem is not None:
            return ClientAuth(
                self._client_id,
                self._settings.private_key_pem,
                PrivateKeyJWT(token_endpoint, alg="RS256"),
            )
        return ClientAuth(self._client_id, self._settings.client_secret, "client_secret_basic")

    async def redeem(self, code: str, code_verifier: str) -> str:
        """The ID token for ``code`` (the provider refuses a used code, or a wrong verifier)."""
        metadata = await self.metadata()
        body = prepare_token_request(
            "authorization_code",
            code=code,
            redirect_uri=self._settings.redirect_uri,
            code_verifier=code_verifier,
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        uri, headers, body = self._client_auth(metadata.token_endpoint).prepare(
            "POST", metadata.token_endpoint, headers, body
        )
        try:
            async with httpx.AsyncClient(timeout=_TIMEOUT) as http:
                response = await http.post(uri, headers=headers, content=body)
            answer = response.json()
        except (httpx.HTTPError, ValueError):
            raise SignInRefused("token-request") from None
        id_token = answer.get("id_token") if isinstance(answer, dict) else None
        if response.status_code != 200 or not isinstance(id_token, str):
            raise SignInRefused("code-refused")
        return id_token

    async def _key_set(self, *, refresh: bool) -> KeySet:
        if self._keys is None or refresh:
            metadata = await self.metadata()
            try:
                self._keys = KeySet.import_key_set(await self._get_json(metadata.jwks_uri, "jwks"))
            except (JoseError, ValueError, TypeError):
                raise SignInRefused("jwks") from None
        return self._keys

    async def _decode(self, id_token: str) -> jwt.Token:
        for refresh in (False, True):
            keys = await self._key_set(refresh=refresh)
            try:
                return jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
            except InvalidKeyIdError:
                if refresh:  # a key the provider does not (or no longer) publish
                    raise SignInRefused("id-token-signature") from None
            except (JoseError, ValueError):
                raise SignInRefused("id-token-signature") from None
        raise AssertionError  # pragma: no cover - the loop returns or raises

    async def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims, after every check of OpenID Connect Core 3.1.3.7."""
        claims = dict((await self._decode(id_token)).claims)
        if claims.get("acr") is None and "loa" in claims:  # some NemLog-in brokers name it `loa`
            claims["acr"] = claims["loa"]
        sub, acr = claims.get("sub"), claims.get("acr")
        who = {"sub": sub if isinstance(sub, str) else None, "acr": acr}
        registry = jwt.JWTClaimsRegistry(
            now=int(self._clock.now().timestamp()),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self._client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise SignInRefused("id-token-exp", **who) from None
        except ClaimError as exc:
            raise SignInRefused(f"id-token-{_claim_of(exc)}", **who) from None
        if isinstance(claims["aud"], list) and claims.get("azp") != self._client_id:
            raise SignInRefused("id-token-aud", **who)
        if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(
            claims["nonce"], nonce
        ):
            raise SignInRefused("id-token-nonce", **who)
        required = self._settings.required_acr
        if required and acr not in required:
            raise SignInRefused("acr-too-low", **who)
        return claims

    async def end_session_url(self, post_logout_redirect_uri: str) -> str | None:
        """Where to send the browser to end the provider's session too, if it offers that."""
        try:
            metadata = await self.metadata()
        except SignInRefused:
            return None
        if metadata.end_session_endpoint is None:
            return None
        url: str = add_params_to_uri(
            metadata.end_session_endpoint,
            [
                ("client_id", self._client_id),
                ("post_logout_redirect_uri", post_logout_redirect_uri),
            ],
        )
        return url


def _claim_of(exc: ClaimError) -> str:
    """Which claim failed (``aud``, ``iss``, ...), from joserfc's error, never its value."""
    claim = getattr(exc, "claim", None)
    return claim if claim in {"iss", "aud", "sub", "exp", "iat", "nbf"} else "claims"
