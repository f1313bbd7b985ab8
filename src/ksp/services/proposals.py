"""Proposals for a meeting: whether the caller may name ``meeting_id`` on a submission, and
whether the case's facts are the meeting's (guide 3.3.7)."""

from __future__ import annotations

from ksp.domain.access import Principal, Role, owns_meeting
from ksp.domain.cases import CaseDraft
from ksp.domain.errors import FieldError, InvalidInput
from ksp.domain.meetings import Meeting
from ksp.services.ports import UnitOfWork

__all__ = ["check_meeting"]

_NO_MEETING = FieldError("meeting_id", "names no meeting you may propose for")


async def check_meeting(uow: UnitOfWork, principal: Principal, draft: CaseDraft) -> None:
    """Guide 3.3.7: participants "supplement the list" of a meeting they take part in; the
    case goes to that meeting's KiF unit for triage like any other.

    A caller who may not read the meeting (a jail) learns nothing of it: a mismatch is
    answered exactly as an id that does not exist."""
    if draft.meeting_id is None:
        if principal.role is Role.PARTICIPANT:
            raise InvalidInput(
                [FieldError("meeting_id", "is required when a participant proposes")]
            )
        return
    meeting = await uow.meetings.get(draft.meeting_id)
    if meeting is None or not await _may_propose(uow, principal, meeting):
        raise InvalidInput([_NO_MEETING])
    errors = _mismatches(draft, meeting)
    if errors and not _reads_meeting(principal, meeting):
        raise InvalidInput([_NO_MEETING])
    if errors:
        raise InvalidInput(errors)


def _mismatches(draft: CaseDraft, meeting: Meeting) -> list[FieldError]:
    """Which of the case's KiF unit, municipality and police district differ from the
    meeting's."""
    return [
        FieldError(field, f"must be the meeting's {what}")
        for field, what, ours, theirs in (
            ("kif_unit", "KiF unit", draft.kif_unit, meeting.kif_unit),
            (
                "municipality_code",
                "municipality",
                draft.municipality_code,
                meeting.municipality_code,
            ),
            ("police_district", "police district", draft.police_district, meeting.police_district),
        )
        if ours != theirs
    ]


def _reads_meeting(principal: Principal, meeting: Meeting) -> bool:
    """KiF reads its own meetings, participants those they take part in (checked by
    :func:`_may_propose`); jails read none."""
    return principal.role is Role.PARTICIPANT or owns_meeting(principal, meeting.kif_unit)


async def _may_propose(uow: UnitOfWork, principal: Principal, meeting: Meeting) -> bool:
    """KiF for its own meetings, participants for those they take part in, jails for any
    meeting of the KiF unit they submit to (checked by the caller)."""
    if principal.role is Role.KIF:
        return principal.unit == meeting.kif_unit
    if principal.role is Role.PARTICIPANT:
        return principal.email is not None and meeting.id in await uow.recipients.meetings_of(
            principal.email, principal.unit
        )
    return True
