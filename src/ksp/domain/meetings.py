"""KSP meetings (guide 3.3.7): KiF calls them, between KF, one municipality and the police."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ksp.domain import reference
from ksp.domain.errors import FieldError, InvalidInput
from ksp.domain.meeting_status import MeetingStatus
from ksp.domain.text import title_problem

__all__ = ["Meeting", "MeetingDraft", "parse_meeting", "schedule_problem"]

MAX_TITLE = 200
# A meeting is planned ahead; one more than a day in the past is a typing error (2020 for
# 2026), and one more than two years ahead too.
MAX_IN_PAST = dt.timedelta(days=1)
MAX_YEARS_AHEAD = 2


@dataclass(frozen=True, slots=True)
class MeetingDraft:
    municipality_code: int
    police_district: str
    scheduled_for: dt.datetime
    title: str


@dataclass(frozen=True, slots=True)
class Meeting:
    """A KSP meeting, owned by the KiF unit that called it (its secretariat)."""

    id: str
    kif_unit: str
    municipality_code: int
    police_district: str
    scheduled_for: dt.datetime
    title: str
    created_at: dt.datetime
    created_by_sub: str
    status: MeetingStatus = MeetingStatus.PLANNED
    location: str | None = None
    sequence: int = 0  # reschedules so far: the invitation's SEQUENCE
    held_on: dt.date | None = None


def _place_errors(draft: MeetingDraft) -> list[FieldError]:
    errors: list[FieldError] = []
    district = reference.police_district(draft.police_district)
    if reference.municipality(draft.municipality_code) is None:
        errors.append(FieldError("municipality_code", "is not one of the 98 municipalities"))
    if district is None:
        errors.append(FieldError("police_district", "is not one of the 12 police districts"))
    elif draft.municipality_code not in district.municipality_codes:
        errors.append(FieldError("police_district", "does not cover the municipality"))
    return errors


def schedule_problem(scheduled_for: dt.datetime, now: dt.datetime) -> str | None:
    """Why a meeting cannot be held at ``scheduled_for`` (seen at ``now``), or None."""
    if scheduled_for.tzinfo is None:
        return "must carry a UTC offset"
    if scheduled_for < now - MAX_IN_PAST:
        return "must not lie more than a day in the past"
    if scheduled_for > _years_after(now, MAX_YEARS_AHEAD):
        return f"must not lie more than {MAX_YEARS_AHEAD} years ahead"
    return None


def _years_after(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def parse_meeting(
    draft: MeetingDraft, *, meeting_id: str, kif_unit: str, by_sub: str, now: dt.datetime
) -> Meeting:
    """Guide 3.3.7: "løbende møder mellem kriminalforsorgen, de enkelte kommuner og
    politikredse" — one municipality and the police district it lies in."""
    errors = _place_errors(draft)
    if problem := schedule_problem(draft.scheduled_for, now):
        errors.append(FieldError("scheduled_for", problem))
    if not draft.title.strip() or len(draft.title) > MAX_TITLE:
        errors.append(FieldError("title", f"must be 1 to {MAX_TITLE} characters"))
    elif problem := title_problem(draft.title):  # it becomes the (encrypted) mail subject
        errors.append(FieldError("title", problem))
    if errors:
        raise InvalidInput(errors)
    return Meeting(
        id=meeting_id,
        kif_unit=kif_unit,
        municipality_code=draft.municipality_code,
        police_district=draft.police_district,
        scheduled_for=draft.scheduled_for,
        title=draft.title.strip(),
        created_at=now,
        created_by_sub=by_sub,
    )
