"""Browser sessions: start one at sign-in (a new secret each time), resume it while it
lives, end it at sign-out; and the one-use sign-in attempts between /login and the callback.

The secret goes to the browser only; the store keeps its SHA-256. The CSRF token is an HMAC
of the secret, so it is per session, and needs no storage.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from ksp.domain.access import Principal
from ksp.domain.sessions import ATTEMPT_LIFETIME, SessionLifetime, SignInAttempt, WebSession
from ksp.services.ports import Clock, WebSessionStore

__all__ = ["SessionService", "csrf_token_of", "store_key"]

_SECRET_BYTES = 32


def store_key(secret: str) -> bytes:
    """What the store keeps of a session's or an attempt's secret."""
    return hashlib.sha256(secret.encode()).digest()


def csrf_token_of(secret: str) -> str:
    digest = hmac.new(secret.encode(), b"ksp csrf token", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _plausible(secret: str) -> bool:
    return 20 <= len(secret) <= 100 and secret.isascii()


class SessionService:
    def __init__(self, store: WebSessionStore, clock: Clock, lifetime: SessionLifetime) -> None:
        self._store = store
        self._clock = clock
        self.lifetime = lifetime

    async def start(self, principal: Principal, acr: str | None) -> str:
        """A new session (and so a new secret: renewal at every sign-in)."""
        now = self._clock.now()
        await self._store.purge(now - self.lifetime.maximum, now - ATTEMPT_LIFETIME)
        secret = secrets.token_urlsafe(_SECRET_BYTES)
        await self._store.add_session(store_key(secret), WebSession(principal, acr, now, now))
        return secret

    async def resume(self, secret: str | None) -> WebSession | None:
        """The live session of ``secret`` (its idle time starts again, written down at most
        every ``TOUCH_INTERVAL``), or None; a session found dead is removed."""
        if secret is None or not _plausible(secret):
            return None
        key = store_key(secret)
        session = await self._store.get_session(key)
        if session is None:
            return None
        now = self._clock.now()
        if not session.is_live(now, self.lifetime):
            await self._store.remove_session(key)
            return None
        if session.needs_touch(now):
            await self._store.touch_session(key, now)
        return session

    async def end(self, secret: str | None) -> WebSession | None:
        """End the session of ``secret``; the session it was, if it still lived."""
        session = await self.resume(secret)
        if secret is not None and _plausible(secret):
            await self._store.remove_session(store_key(secret))
        return session

    async def begin_attempt(self, nonce: str, code_verifier: str) -> str:
        """A new attempt; its ``state``."""
        state = secrets.token_urlsafe(_SECRET_BYTES)
        attempt = SignInAttempt(nonce, code_verifier, self._clock.now())
        await self._store.add_attempt(store_key(state), attempt)
        return state

    async def take_attempt(self, state: str) -> SignInAttempt | None:
        """The live attempt of ``state``, once; None for an unknown, used or stale one."""
        if not _plausible(state):
            return None
        attempt = await self._store.take_attempt(store_key(state))
        if attempt is None or not attempt.is_live(self._clock.now()):
            return None
        return attempt
