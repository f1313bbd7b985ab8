"""A meeting's lifecycle (guide 3.3.7: KiF calls, holds and presents the KSP meetings).

::

    planned ──attendance──▶ held ──minutes──▶ closed
       │  ▲                   │
       │  └──reschedule───────┘ (only while planned)
       └──cancel──▶ cancelled   (also from held; never from closed)

A cancelled meeting takes no list change, outcome, attendance or circulation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from ksp.domain.errors import FieldError, InvalidInput, MeetingCancelled, MeetingStatusConflict
from ksp.domain.text import line_problem

__all__ = [
    "MAX_LOCATION",
    "MeetingStatus",
    "Reschedule",
    "check_cancellable",
    "check_reschedule",
    "ensure_not_cancelled",
    "location_errors",
    "status_after_attendance",
    "status_after_minutes",
]

MAX_LOCATION = 200
MAX_REASON = 2000


class MeetingStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CLOSED = "closed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Reschedule:
    """A change of a planned meeting's time, place or title, with the reason for it."""

    reason: str
    scheduled_for: dt.datetime | None = None
    location: str | None = None
    title: str | None = None


def ensure_not_cancelled(status: MeetingStatus) -> None:
    """No list change, outcome, attendance or circulation for a cancelled meeting."""
    if status is MeetingStatus.CANCELLED:
        raise MeetingCancelled


def _reason_errors(reason: str) -> list[FieldError]:
    if not reason.strip() or len(reason) > MAX_REASON:
        return [FieldError("reason", f"must be 1 to {MAX_REASON} characters")]
    return []


def check_reschedule(status: MeetingStatus, change: Reschedule, now: dt.datetime) -> None:
    """A planned meeting may move, but never into the past; a held or closed one has
    happened and keeps its time (its place and title may still be corrected)."""
    ensure_not_cancelled(status)
    errors = _reason_errors(change.reason)
    when = change.scheduled_for
    if when is not None:
        if status is not MeetingStatus.PLANNED:
            raise MeetingStatusConflict
        if when.tzinfo is None:
            errors.append(FieldError("scheduled_for", "must carry a UTC offset"))
        elif when < now:
            errors.append(FieldError("scheduled_for", "must not be in the past"))
    if change.location is not None:
        errors.extend(location_errors(change.location))
    if change.scheduled_for is None and change.location is None and change.title is None:
        errors.append(FieldError("body", "must change scheduled_for, location or title"))
    if errors:
        raise InvalidInput(errors)


def location_errors(location: str) -> list[FieldError]:
    if len(location) > MAX_LOCATION:
        return [FieldError("location", f"must be at most {MAX_LOCATION} characters")]
    if problem := line_problem(location):  # it goes into the invitation's LOCATION line
        return [FieldError("location", problem)]
    return []


def check_cancellable(status: MeetingStatus, reason: str) -> None:
    """A closed meeting has its minutes; it is not cancelled afterwards."""
    if status in (MeetingStatus.CANCELLED, MeetingStatus.CLOSED):
        raise MeetingStatusConflict
    errors = _reason_errors(reason)
    if errors:
        raise InvalidInput(errors)


def status_after_attendance(status: MeetingStatus) -> MeetingStatus:
    """Recording attendance means the meeting was held (a correction keeps it held or closed)."""
    ensure_not_cancelled(status)
    return MeetingStatus.HELD if status is MeetingStatus.PLANNED else status


def status_after_minutes(status: MeetingStatus) -> MeetingStatus:
    """Minutes are written for a held meeting; the first version closes it."""
    ensure_not_cancelled(status)
    if status is MeetingStatus.PLANNED:
        raise MeetingStatusConflict
    return MeetingStatus.CLOSED
