"""A clock the tests set; the app never reads the real time through it."""

from __future__ import annotations

import datetime as dt

DEFAULT_NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


class FixedClock:
    def __init__(self, now: dt.datetime = DEFAULT_NOW) -> None:
        self._now = now

    def now(self) -> dt.datetime:
        return self._now

    def set(self, now: dt.datetime) -> None:
        self._now = now

    def reset(self) -> None:
        self._now = DEFAULT_NOW
