"""Inquiries about released people and KiF's decision on the time window (guide 3.3.7).

"Når kommune eller politi retter henvendelse til kriminalforsorgen, skal kriminalforsorgen
sikre, at der sker intern orientering": the KF units holding cases on the person see the
inquiry. The service suggests inside or outside the window from a named policy; KiF decides,
and a decision that departs from the suggestion (or has none to follow) needs a
justification. A decision is never edited: a new one corrects it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ksp.domain.circulation import Agency
from ksp.domain.cpr import Cpr
from ksp.domain.errors import FieldError, InvalidInput
from ksp.domain.text import text_problem
from ksp.domain.time_window import Suggestion, WindowSuggestion

__all__ = ["Decision", "Detention", "Inquiry", "check_decision"]

MAX_JUSTIFICATION = 4000


@dataclass(frozen=True, slots=True)
class Inquiry:
    id: str
    kif_unit: str
    cpr: Cpr
    from_agency: Agency
    received_on: dt.date
    detained_since: dt.date | None
    released_on: dt.date | None
    window: WindowSuggestion
    created_at: dt.datetime
    created_by_sub: str
    created_by_unit: str


@dataclass(frozen=True, slots=True)
class Detention:
    """KF's own dates of a person's detention, from the case ``case_id``."""

    case_id: str
    detained_since: dt.date | None
    released_on: dt.date | None


@dataclass(frozen=True, slots=True)
class Decision:
    inquiry_id: str
    number: int  # 1 for the first; a later one corrects the one before
    eligible: bool
    justification: str | None
    decided_at: dt.datetime
    decided_by_sub: str
    journal_seq: int = 0


def check_decision(inquiry: Inquiry, eligible: bool, justification: str | None) -> None:
    """Guide 3.3.7: KiF decides; departing from the suggestion, or deciding without one,
    needs a justification."""
    text = (justification or "").strip()
    suggested = inquiry.window.suggestion
    departs = suggested is None or eligible != (suggested is Suggestion.INSIDE)
    if departs and not text:
        raise InvalidInput(
            [
                FieldError(
                    "justification",
                    "is required when the decision departs from the suggestion or there is none",
                )
            ]
        )
    if len(text) > MAX_JUSTIFICATION or (text and text_problem(text)):
        raise InvalidInput([FieldError("justification", "is not acceptable text")])
