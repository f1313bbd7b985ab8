"""A meeting's lifecycle: reschedule and cancel with reasons, attendance (the meeting is
then held), and its invitation (CONTRACT.md, "Meetings (issue 8)"; guide 3.3.7: KiF calls
and holds the meetings). Every change is a typed journal entry beside its row.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable, Sequence

from ksp.domain.access import Principal, Role, owns_meeting
from ksp.domain.attendance import Attendee, check_attendance
from ksp.domain.circulation import Delivery, Recipient
from ksp.domain.errors import Conflict, NotFound
from ksp.domain.invitation import InvitationFacts
from ksp.domain.meeting_status import (
    MeetingStatus,
    Reschedule,
    check_cancellable,
    check_reschedule,
    status_after_attendance,
)
from ksp.domain.meetings import Meeting
from ksp.domain.records import (
    AttendanceRecord,
    MeetingChangeRecord,
    plain,
)
from ksp.services.cancellation import CancellationNotices
from ksp.services.meeting_journal import (
    append_record,
    meeting_day,
    owned_meeting,
)
from ksp.services.ports import Clock, UnitOfWorkFactory

__all__ = ["MeetingLifecycleService"]


class MeetingLifecycleService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        organizer: str,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        notices: CancellationNotices | None = None,
        queued: Callable[[], None] = lambda: None,
    ) -> None:
        """``queued``: called once a cancellation's notices are committed to the outbox
        (the composition root wakes the outbox worker of this process with it)."""
        self._queued = queued
        self._uow = uow
        self._clock = clock
        self._new_id = new_id
        self._organizer = organizer  # the secretariat's mailbox: the invitation's ORGANIZER
        self._notices = notices  # None: cancelling sends no mail (unit tests of the rules)

    async def reschedule(
        self, principal: Principal, meeting_id: str, change: Reschedule
    ) -> Meeting:
        """A new time (planned meetings only, never in the past), place or title, with a reason;
        a new time raises the invitation's SEQUENCE."""
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.journal.lock()
            meeting = await owned_meeting(uow, principal, meeting_id)
            check_reschedule(meeting.status, change, now)
            moved = (
                change.scheduled_for is not None and change.scheduled_for != meeting.scheduled_for
            )
            updated = dataclasses.replace(
                meeting,
                scheduled_for=change.scheduled_for or meeting.scheduled_for,
                location=meeting.location if change.location is None else change.location,
                title=change.title or meeting.title,
                sequence=meeting.sequence + 1 if moved else meeting.sequence,
            )
            record = MeetingChangeRecord(
                recorded_by=principal.sub,
                recorded_at=now,
                meeting_id=meeting_id,
                change="rescheduled",
                reason=change.reason,
                scheduled_for=change.scheduled_for,
                location=change.location,
                title=change.title,
                sequence=updated.sequence,
            )
            await append_record(uow, record, f"meeting/{meeting_id}/change/{now.isoformat()}")
            await uow.meeting_work.save_state(updated)
            await uow.commit()
        return updated

    async def cancel(self, principal: Principal, meeting_id: str, reason: str) -> Meeting:
        """A cancelled meeting takes no list change, outcome or circulation afterwards.

        Each participant's notice (the invitation with METHOD:CANCEL) is sealed holding no
        transaction, then queued in the transaction that cancels, which checks that neither
        the meeting nor its participants changed meanwhile: all of it or none is stored."""
        now = self._clock.now()
        async with self._uow() as uow:
            meeting = await owned_meeting(uow, principal, meeting_id)
            check_cancellable(meeting.status, reason)
            participants = await uow.recipients.participants(meeting_id)
        cancelled = dataclasses.replace(
            meeting, status=MeetingStatus.CANCELLED, sequence=meeting.sequence + 1
        )
        notices = (
            [] if self._notices is None else await self._notices.seal(cancelled, participants, now)
        )
        async with self._uow() as uow:
            await uow.journal.lock()
            current = await owned_meeting(uow, principal, meeting_id)
            check_cancellable(current.status, reason)
            now_taking_part = await uow.recipients.participants(meeting_id)
            if current != meeting or _sealed_for(now_taking_part) != _sealed_for(participants):
                raise Conflict("The meeting or its participants changed meanwhile; cancel again.")
            record = MeetingChangeRecord(
                recorded_by=principal.sub,
                recorded_at=now,
                meeting_id=meeting_id,
                change="cancelled",
                reason=reason,
                sequence=cancelled.sequence,
            )
            await append_record(uow, record, f"meeting/{meeting_id}/change/{now.isoformat()}")
            await uow.meeting_work.save_state(cancelled)
            for delivery, message in notices:
                await uow.circulations.queue(
                    delivery, message, now, cancelled_meeting_id=meeting_id
                )
            if notices:
                await uow.circulations.announce()  # NOTIFY the workers of other processes
            await uow.commit()
        if notices:
            self._queued()
        return cancelled

    async def cancellation_notices(
        self, principal: Principal, meeting_id: str
    ) -> tuple[Meeting, list[Delivery]]:
        """How each participant's cancellation notice went (none before the cancellation)."""
        async with self._uow() as uow:
            meeting = await owned_meeting(uow, principal, meeting_id)
            return meeting, await uow.circulations.cancellation_deliveries(meeting_id)

    async def record_attendance(
        self, principal: Principal, meeting_id: str, attendees: Sequence[Attendee]
    ) -> tuple[int, Meeting]:
        """Who attended, in which role, and their confidentiality undertakings; the meeting
        is then held. A later record corrects the earlier one."""
        check_attendance(attendees)
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.journal.lock()
            meeting = await owned_meeting(uow, principal, meeting_id)
            status = status_after_attendance(meeting.status)
            latest = await uow.meeting_work.latest_attendance(meeting_id)
            number = 1 if latest is None else latest[0] + 1
            record = AttendanceRecord(
                recorded_by=principal.sub,
                recorded_at=now,
                meeting_id=meeting_id,
                number=number,
                attendees=tuple(plain(dataclasses.asdict(a)) for a in attendees),
                corrects=None if latest is None else latest[0],
            )
            seq = await append_record(uow, record, f"meeting/{meeting_id}/attendance/{number}")
            await uow.meeting_work.add_attendance(meeting_id, number, seq, now, principal.sub)
            held = dataclasses.replace(
                meeting, status=status, held_on=meeting.held_on or meeting_day(meeting)
            )
            await uow.meeting_work.save_state(held)
            await uow.commit()
        return number, held

    async def attendance(
        self, principal: Principal, meeting_id: str
    ) -> tuple[int | None, Meeting, list[dict[str, object]]]:
        """The latest attendance record. Attendee names are staff personal data: the read is
        access-logged."""
        async with self._uow() as uow:
            meeting = await owned_meeting(uow, principal, meeting_id)
            latest = await uow.meeting_work.latest_attendance(meeting_id)
            if latest is None:
                return None, meeting, []
            body = json.loads(await uow.journal.plaintext(latest[1]))
            await uow.access_log.record(
                principal,
                resource="attendance",
                resource_id=meeting_id,
                subjects=[],
                at=self._clock.now(),
            )
            await uow.commit()
        attendees: list[dict[str, object]] = body["attendees"]
        return latest[0], meeting, attendees

    async def invitation(self, principal: Principal, meeting_id: str) -> InvitationFacts:
        """The meeting's RFC 5545 invitation, for KiF and the meeting's participants."""
        async with self._uow() as uow:
            meeting = await uow.meetings.get(meeting_id)
            if meeting is None:
                raise NotFound
            participants = await uow.recipients.participants(meeting_id)
            taking_part = (
                principal.role is Role.PARTICIPANT
                and principal.email is not None
                and any(
                    r.email == principal.email.lower() and r.unit == principal.unit
                    for r in participants
                )
            )
            if not (owns_meeting(principal, meeting.kif_unit) or taking_part):
                raise NotFound
        return self.invitation_facts(meeting, [r.email for r in participants])

    def invitation_facts(self, meeting: Meeting, attendees: Sequence[str]) -> InvitationFacts:
        return InvitationFacts(
            meeting_id=meeting.id,
            title=meeting.title,
            location=meeting.location,
            scheduled_for=meeting.scheduled_for,
            sequence=meeting.sequence,
            cancelled=meeting.status is MeetingStatus.CANCELLED,
            organizer=self._organizer,
            attendees=attendees,
            stamped_at=self._clock.now(),
        )


def _sealed_for(participants: list[Recipient]) -> set[tuple[str, str, bool]]:
    """Who the notices were sealed for, with which key."""
    return {(r.id, r.fingerprint, r.key_revoked) for r in participants}
