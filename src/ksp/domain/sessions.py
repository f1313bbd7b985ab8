"""Browser sessions: who signed in, when, at what assurance level, and when that ends.

A session ends after ``idle`` without a request and after ``maximum`` in all (CONTRACT.md,
"Signing in": 30 minutes and 10 hours by default). A sign-in attempt (the ``state`` of one
trip to the provider) is good for one use within ``ATTEMPT_LIFETIME``.

The last request is written down at most every ``TOUCH_INTERVAL``, not on every page view
(a write per page was most of a page's cost under load): a session may so end up to that
much before its idle time counted from its very last request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ksp.domain.access import Principal

__all__ = ["ATTEMPT_LIFETIME", "TOUCH_INTERVAL", "SessionLifetime", "SignInAttempt", "WebSession"]

ATTEMPT_LIFETIME = dt.timedelta(minutes=10)
TOUCH_INTERVAL = dt.timedelta(seconds=30)  # well under the shortest idle time, one minute


@dataclass(frozen=True, slots=True)
class SessionLifetime:
    idle: dt.timedelta
    maximum: dt.timedelta


@dataclass(frozen=True, slots=True)
class WebSession:
    principal: Principal
    acr: str | None
    started_at: dt.datetime
    last_seen_at: dt.datetime

    def is_live(self, now: dt.datetime, lifetime: SessionLifetime) -> bool:
        """Not idle too long, not too old, and not from the future (a clock set back)."""
        return (
            self.started_at <= now
            and now - self.last_seen_at < lifetime.idle
            and now - self.started_at < lifetime.maximum
        )

    def needs_touch(self, now: dt.datetime) -> bool:
        """Whether the request at ``now`` must be written down as the last one seen."""
        return now - self.last_seen_at >= TOUCH_INTERVAL


@dataclass(frozen=True, slots=True)
class SignInAttempt:
    """What the callback needs to check the provider's answer to one authorization request."""

    nonce: str
    code_verifier: str
    created_at: dt.datetime

    def is_live(self, now: dt.datetime) -> bool:
        return self.created_at <= now < self.created_at + ATTEMPT_LIFETIME
