"""A session's lifetime (CONTRACT.md, "Signing in"): it ends after the idle time without a
request and after the absolute time in all; a sign-in attempt is good for ten minutes."""

from __future__ import annotations

import datetime as dt

from ksp.domain.access import Principal, Role
from ksp.domain.sessions import TOUCH_INTERVAL, SessionLifetime, SignInAttempt, WebSession

START = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
LIFETIME = SessionLifetime(idle=dt.timedelta(minutes=30), maximum=dt.timedelta(hours=10))
PRINCIPAL = Principal(sub="s", role=Role.KIF, unit="kif-fyn")


def session(last_seen: dt.datetime) -> WebSession:
    return WebSession(PRINCIPAL, None, START, last_seen)


def test_a_session_is_dead_at_exactly_the_idle_time() -> None:
    """29:59 idle lives; 30:00 idle is over."""
    assert session(START).is_live(START + dt.timedelta(minutes=30, seconds=-1), LIFETIME)
    assert not session(START).is_live(START + dt.timedelta(minutes=30), LIFETIME)


def test_a_session_is_dead_at_exactly_the_absolute_time_however_active() -> None:
    """Seen a second ago, but ten hours after sign-in: over."""
    at = START + dt.timedelta(hours=10)
    assert session(at - dt.timedelta(seconds=1)).is_live(at - dt.timedelta(seconds=1), LIFETIME)
    assert not session(at - dt.timedelta(seconds=1)).is_live(at, LIFETIME)


def test_a_session_from_the_future_is_dead() -> None:
    """A clock set back does not stretch a session."""
    assert not session(START).is_live(START - dt.timedelta(seconds=1), LIFETIME)


def test_a_sign_in_attempt_lives_ten_minutes() -> None:
    """The state of one trip to the provider."""
    attempt = SignInAttempt("n", "v", START)
    assert attempt.is_live(START + dt.timedelta(minutes=10, seconds=-1))
    assert not attempt.is_live(START + dt.timedelta(minutes=10))
    assert not attempt.is_live(START - dt.timedelta(seconds=1))


def test_the_last_request_is_written_down_at_most_every_touch_interval() -> None:
    """A page view within 30 s of the last one written down writes nothing; one later does;
    the interval is well under the shortest idle time (one minute), so no session outlives
    its idle time and none ends more than 30 s early."""
    assert not session(START).needs_touch(START + TOUCH_INTERVAL - dt.timedelta(seconds=1))
    assert session(START).needs_touch(START + TOUCH_INTERVAL)
    assert dt.timedelta(minutes=1) >= TOUCH_INTERVAL * 2
