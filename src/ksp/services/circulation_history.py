"""What was circulated for a meeting: KiF's view of every circulation and its deliveries,
and a participant's view of the versions circulated to its unit (CONTRACT.md, issue 11:
"Participants read the versions circulated to their unit in the web application ...;
every such read is access-logged").
"""

from __future__ import annotations

from ksp.domain.access import Principal, Role, reads_documents_of
from ksp.domain.documents import DocumentVersion
from ksp.domain.errors import NotFound
from ksp.domain.meetings import Meeting
from ksp.services.circulation import Circulated
from ksp.services.documents import read_version, subjects_of
from ksp.services.ports import Circulation, Clock, UnitOfWork, UnitOfWorkFactory

__all__ = ["CirculationHistoryService"]


class CirculationHistoryService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def of_meeting(self, principal: Principal, meeting_id: str) -> list[Circulated]:
        """Every circulation of the meeting's documents with each message's delivery, for
        the meeting's KiF unit (and auditors); oldest first."""
        async with self._uow() as uow:
            meeting = await uow.meetings.get(meeting_id)
            if meeting is None or not reads_documents_of(principal, meeting.kif_unit):
                raise NotFound
            return [
                Circulated(c, await uow.circulations.deliveries(c.id))
                for c in await uow.circulations.of_meeting(meeting_id)
            ]

    async def to_unit(self, principal: Principal, meeting_id: str) -> list[Circulation]:
        """A participant: the circulations of a meeting it takes part in that went to a
        recipient of its unit; oldest first. No personal data."""
        async with self._uow() as uow:
            await _taken_part_in(uow, principal, meeting_id)
            return [
                c
                for c in await uow.circulations.of_meeting(meeting_id)
                if await _reached_unit(uow, principal, c)
            ]

    async def circulated_version(
        self, principal: Principal, document_id: str, n: int
    ) -> DocumentVersion:
        """A participant reads version ``n`` only if it was circulated to its unit for a
        meeting it takes part in (else NotFound); the read is logged with the people it
        shows."""
        async with self._uow() as uow:
            meeting_id = await uow.documents.meeting_of(document_id)
            if meeting_id is None:
                raise NotFound
            meeting = await _taken_part_in(uow, principal, meeting_id)
            circulated = [
                c
                for c in await uow.circulations.of_meeting(meeting_id)
                if c.document_id == document_id and c.version == n
            ]
            if not any([await _reached_unit(uow, principal, c) for c in circulated]):
                raise NotFound
            found = await read_version(uow, meeting.id, document_id, n)
            await uow.access_log.record(
                principal,
                resource="document-version",
                resource_id=f"{document_id}/{n}",
                subjects=subjects_of(found.entries),
                at=self._clock.now(),
            )
            await uow.commit()
        return found


async def _taken_part_in(uow: UnitOfWork, principal: Principal, meeting_id: str) -> Meeting:
    """The meeting, if the caller is a participant registered for it (by e-mail and unit)."""
    if principal.role is not Role.PARTICIPANT or principal.email is None:
        raise NotFound
    meeting = await uow.meetings.get(meeting_id)
    taking_part = await uow.recipients.meetings_of(principal.email, principal.unit)
    if meeting is None or meeting_id not in taking_part:
        raise NotFound
    return meeting


async def _reached_unit(uow: UnitOfWork, principal: Principal, circulation: Circulation) -> bool:
    """Whether one of the circulation's messages went to a recipient of the caller's unit."""
    for delivery in await uow.circulations.deliveries(circulation.id):
        recipient = await uow.recipients.get(delivery.recipient_id)
        if recipient is not None and recipient.unit == principal.unit:
            return True
    return False
