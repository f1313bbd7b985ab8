"""Who attended a KSP meeting, in which role, and whether they acknowledged confidentiality.

Attendee names are staff personal data: the service keeps them encrypted and logs their
reads. The rules here are about shape only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ksp.domain.errors import FieldError, InvalidInput
from ksp.domain.text import line_problem

__all__ = ["MAX_ATTENDEES", "Agency", "Attendee", "AttendeeRole", "check_attendance"]

MAX_ATTENDEES = 50
MAX_NAME = 200
_UNIT = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class Agency(StrEnum):
    KF = "kf"
    MUNICIPALITY = "municipality"
    POLICE = "police"
    OTHER = "other"


class AttendeeRole(StrEnum):
    CHAIR = "chair"
    SECRETARY = "secretary"
    PARTICIPANT = "participant"
    OBSERVER = "observer"


@dataclass(frozen=True, slots=True)
class Attendee:
    name: str
    agency: Agency
    unit: str
    role: AttendeeRole
    present: bool
    confidentiality_acknowledged: bool


def _attendee_errors(index: int, attendee: Attendee) -> list[FieldError]:
    at = f"attendees[{index}]"
    errors: list[FieldError] = []
    if not attendee.name.strip() or len(attendee.name) > MAX_NAME:
        errors.append(FieldError(f"{at}.name", f"must be 1 to {MAX_NAME} characters"))
    elif problem := line_problem(attendee.name):
        errors.append(FieldError(f"{at}.name", problem))
    if not _UNIT.match(attendee.unit) or len(attendee.unit) > 100:
        errors.append(FieldError(f"{at}.unit", "must be a lower-case unit slug"))
    if attendee.present and not attendee.confidentiality_acknowledged:
        # The secretariat records each present attendee's confidentiality undertaking (as
        # multi-agency risk meetings do); nobody is recorded present without one.
        errors.append(
            FieldError(f"{at}.confidentiality_acknowledged", "is required of everyone present")
        )
    return errors


def check_attendance(attendees: Sequence[Attendee]) -> None:
    """At least one present attendee, at most one chair, each present one bound by
    confidentiality."""
    errors: list[FieldError] = []
    if not attendees or len(attendees) > MAX_ATTENDEES:
        errors.append(FieldError("attendees", f"must hold 1 to {MAX_ATTENDEES} attendees"))
    for index, attendee in enumerate(attendees):
        errors.extend(_attendee_errors(index, attendee))
    if attendees and not any(a.present for a in attendees):
        errors.append(FieldError("attendees", "must have someone present"))
    if sum(a.role is AttendeeRole.CHAIR for a in attendees) > 1:
        errors.append(FieldError("attendees", "must have at most one chair"))
    if errors:
        raise InvalidInput(errors)
