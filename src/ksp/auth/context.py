"""What the sign-in routes share: settings, the session service, the provider (if any),
the claim mapping, the cookies' names and attributes, and the development identities."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from litestar.datastructures import Cookie

from ksp.auth.claims import ClaimMapping, Unmapped
from ksp.auth.config import SignInSettings
from ksp.auth.oidc import OidcClient, SignInRefused
from ksp.domain.access import Principal, Role
from ksp.services.ports import Clock
from ksp.services.sessions import SessionService

__all__ = ["DEV_IDENTITIES", "ROLE_LABELS", "CookieNames", "DevIdentity", "SignIn"]

ROLE_LABELS = {
    Role.ARREST: "Arresthus (Kriminalforsorgen)",
    Role.KIF: "KIF-koordinator (Kriminalforsorgen)",
    Role.PARTICIPANT: "Deltager (kommune eller politi)",
    Role.AUDITOR: "Revisor",
}


@dataclass(frozen=True, slots=True)
class DevIdentity:
    key: str
    label: str
    principal: Principal

    @property
    def role(self) -> str:
        return self.principal.role.value

    @property
    def unit(self) -> str:
        return self.principal.unit


def _dev(role: Role, unit: str, email: str | None = None) -> DevIdentity:
    principal = Principal(sub=f"dev-{role.value}", role=role, unit=unit, email=email)
    return DevIdentity(role.value, ROLE_LABELS[role], principal)


DEV_IDENTITIES = (
    _dev(Role.ARREST, "arrest-koebenhavn"),
    _dev(Role.KIF, "kif-hovedstaden"),
    _dev(Role.PARTICIPANT, "kommune-101", "deltager@kommune-101.example"),
    _dev(Role.AUDITOR, "intern-revision"),
)


@dataclass(frozen=True, slots=True)
class CookieNames:
    """HttpOnly and SameSite=Lax always; Secure with the ``__Host-`` prefix over HTTPS."""

    secure: bool

    def _name(self, base: str) -> str:
        return f"__Host-{base}" if self.secure else base

    @property
    def session(self) -> str:
        return self._name("ksp_session")

    @property
    def attempt(self) -> str:
        return self._name("ksp_signin")

    @property
    def login_csrf(self) -> str:
        return self._name("ksp_login_csrf")

    def _cookie(self, key: str, value: str, max_age: int | None) -> Cookie:
        return Cookie(
            key=key,
            value=value,
            path="/",
            max_age=max_age,
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )

    def session_cookie(self, secret: str) -> Cookie:
        """Ends with the browser; the database ends it sooner (idle and absolute time)."""
        return self._cookie(self.session, secret, None)

    def short_cookie(self, key: str, value: str) -> Cookie:
        return self._cookie(key, value, 600)

    def removal(self, key: str) -> Cookie:
        """Removes ``key`` with the attributes it was set with (a ``__Host-`` cookie can
        only be replaced by a Secure one)."""
        return self._cookie(key, "", 0)


@dataclass(frozen=True)
class SignIn:
    settings: SignInSettings
    sessions: SessionService
    clock: Clock
    oidc: OidcClient | None
    mapping: ClaimMapping
    max_body_bytes: int

    @property
    def cookies(self) -> CookieNames:
        return CookieNames(self.settings.secure_cookies)

    async def finish(
        self, query: Mapping[str, Any], browser_state: str | None
    ) -> tuple[Principal, str | None]:
        """The callback's checks in order: the browser's state, the one-use attempt, the
        provider's answer, the ID token, the claim mapping."""
        if self.oidc is None:
            raise SignInRefused("state")
        state, code = query.get("state"), query.get("code")
        if not isinstance(state, str) or not browser_state:
            raise SignInRefused("state")
        if not hmac.compare_digest(state.encode(), browser_state.encode()):
            raise SignInRefused("state")
        attempt = await self.sessions.take_attempt(state)
        if attempt is None:
            raise SignInRefused("state")
        issuer = query.get("iss")
        if (
            query.get("error")
            or not isinstance(code, str)
            or issuer not in {None, self.oidc.issuer}
        ):
            raise SignInRefused("provider-error")
        id_token = await self.oidc.redeem(code, attempt.code_verifier)
        claims = await self.oidc.verify_id_token(id_token, attempt.nonce)
        acr = claims.get("acr") if isinstance(claims.get("acr"), str) else None
        try:
            return self.mapping.principal(claims), acr
        except Unmapped:
            raise SignInRefused("unmapped", sub=claims.get("sub"), acr=acr) from None
