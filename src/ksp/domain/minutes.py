"""The minutes (referat) of a KSP meeting as data: who attended, and per case on the agenda
(the latest list version, in its order) the outcome and the actions agreed (guide 3.3.7: KiF
holds the meetings; CONTRACT.md, "Meetings (issue 8)").

A version's canonical bytes are what the journal commits to, exactly as for the list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ksp.domain.documents import meeting_facts
from ksp.domain.errors import FieldError, InvalidInput
from ksp.domain.lists import ListEntry
from ksp.domain.meetings import Meeting

__all__ = [
    "MINUTES_FORMAT",
    "MinutesAction",
    "MinutesContent",
    "MinutesOutcome",
    "check_minutes_reason",
    "minutes_body",
]

MINUTES_FORMAT = "ksp-minutes/1"
MAX_REASON = 2000


@dataclass(frozen=True, slots=True)
class MinutesAction:
    id: str
    agency: str
    unit: str
    description: str
    due_on: str  # ISO 8601 date
    status: str


@dataclass(frozen=True, slots=True)
class MinutesOutcome:
    outcome_id: str
    summary: str
    decision: str
    actions: tuple[MinutesAction, ...]


@dataclass(frozen=True, slots=True)
class MinutesContent:
    """What the minutes say: who attended, the agenda's cases, and their outcomes."""

    attendees: Sequence[Mapping[str, Any]]
    agenda: Sequence[ListEntry]
    outcomes: Mapping[str, MinutesOutcome]  # by case id


def check_minutes_reason(reason: str) -> None:
    if not reason.strip() or len(reason) > MAX_REASON:
        raise InvalidInput([FieldError("reason", f"must be 1 to {MAX_REASON} characters")])


def minutes_body(
    meeting: Meeting,
    *,
    document_id: str,
    version: int,
    created_at: dt.datetime,
    created_by_sub: str,
    reason: str,
    content: MinutesContent,
) -> dict[str, Any]:
    """A minutes version: ``entries`` are the agenda's cases as the list showed them (so the
    same diff and access log apply), ``cases`` their outcome (``None``: not dealt with)."""
    agenda, outcomes = content.agenda, content.outcomes
    return {
        "format": MINUTES_FORMAT,
        "kind": "minutes",
        "document_id": document_id,
        "version": version,
        "created_at": created_at.isoformat(),
        "created_by": created_by_sub,
        "reason": reason,
        "meeting": meeting_facts(meeting),
        "attendees": [dict(a) for a in content.attendees],
        "entries": [asdict(entry) for entry in agenda],
        "cases": [
            {
                "case_id": entry.case_id,
                "outcome": None
                if entry.case_id not in outcomes
                else asdict(outcomes[entry.case_id]),
            }
            for entry in agenda
        ],
    }
