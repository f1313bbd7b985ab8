"""The time window around a release (guide 3.3.7, "Tidsafgrænsning af samarbejdet ved
løsladelsen").

"En sag kan drøftes i KSP-regi i tiden omkring en løsladelse. Tidsafgrænsningen er
individuel og afhænger af, hvor længe varetægtsarrestanten har været indsat." The guide's
example: detained one month, a request two weeks after release is inside; three months
after is not. The service only suggests; KiF decides and records why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["DEFAULT_POLICY", "Suggestion", "WindowPolicy", "WindowSuggestion", "suggest"]


class Suggestion(StrEnum):
    INSIDE = "inside"
    OUTSIDE = "outside"


@dataclass(frozen=True, slots=True)
class WindowPolicy:
    """After release, the window lasts ``factor`` × the detention, and at least
    ``minimum_days``. Named and versioned, so every suggestion says which policy made it."""

    name: str = "detention-length"
    version: int = 1
    factor: float = 1.0
    minimum_days: int = 14

    @property
    def label(self) -> str:
        return f"{self.name}/v{self.version}"

    def window_days(self, detained_since: dt.date, released_on: dt.date) -> int:
        detention = (released_on - detained_since).days
        return max(round(detention * self.factor), self.minimum_days)


DEFAULT_POLICY = WindowPolicy()


@dataclass(frozen=True, slots=True)
class WindowSuggestion:
    suggestion: Suggestion | None  # None: the detention's length is unknown
    window_days: int | None
    policy: str


def suggest(
    policy: WindowPolicy,
    *,
    detained_since: dt.date | None,
    released_on: dt.date | None,
    received_on: dt.date,
) -> WindowSuggestion:
    """Inside up to and including the window's last day after release; a request before the
    release is inside too (it is "around" the release)."""
    if detained_since is None or released_on is None or released_on < detained_since:
        return WindowSuggestion(None, None, policy.label)
    days = policy.window_days(detained_since, released_on)
    inside = received_on <= released_on + dt.timedelta(days=days)
    return WindowSuggestion(Suggestion.INSIDE if inside else Suggestion.OUTSIDE, days, policy.label)
