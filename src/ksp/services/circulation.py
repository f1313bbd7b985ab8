"""Use cases for secure circulation of KSP lists (guide 3.3.7): recipients with pinned
OpenPGP keys, meeting participants, and circulating a version through the outbox.

"Til eksterne samarbejdsparter skal dette ske via sikker mail": each message is encrypted to
its recipient alone and signed before it is queued; nothing unencrypted is ever stored or
sent, and no setting turns encryption off.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import anyio
import anyio.to_thread

from ksp.domain.access import Principal, owns_meeting, reads_documents_of
from ksp.domain.circulation import (
    Delivery,
    Recipient,
    RecipientDraft,
    check_circulation,
)
from ksp.domain.documents import DocumentVersion, Printable, changes_of
from ksp.domain.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    NotLatestVersion,
)
from ksp.domain.lists import ListEntry
from ksp.domain.meeting_status import ensure_not_cancelled
from ksp.domain.meetings import Meeting
from ksp.services.documents import read_version, read_version_json, subjects_of
from ksp.services.ports import (
    Circulation,
    Clock,
    DuplicateKey,
    SecureMail,
    UnitOfWork,
    UnitOfWorkFactory,
)
from ksp.services.recipients import RecipientService
from ksp.services.sealing import OptionalParts, Sealer

__all__ = ["Again", "Circulated", "CirculationService"]

OUTER_SUBJECT = "Sikker meddelelse fra KSP-sekretariatet"
ENCRYPTION_THREADS = 4  # gpg calls in parallel (measured: 4 threads about 1.8x)


@dataclass(frozen=True, slots=True)
class Again:
    """Whether a version already circulated is sent again on purpose, and why."""

    again: bool = False
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Circulated:
    circulation: Circulation
    deliveries: list[Delivery]


class CirculationService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        mail: SecureMail,
        render: Callable[[Printable], str],
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        *,
        parts: OptionalParts | None = None,
        queued: Callable[[], None] = lambda: None,
    ) -> None:
        """``parts``: where the invitation, the PDF and the receipt of each mail come from;
        ``queued``: called once a circulation's messages are committed to the outbox
        (the composition root wakes the outbox worker of this process with it)."""
        self._uow = uow
        self._clock = clock
        self._mail = mail
        self._render = render
        self._new_id = new_id
        self._queued = queued
        self._limiter = anyio.CapacityLimiter(ENCRYPTION_THREADS)
        self.recipient_keys = RecipientService(uow, clock, mail, self._limiter, new_id)
        # one Sealer for circulations and cancellation notices
        self.sealer = Sealer(mail, render, new_id, self._limiter, parts or OptionalParts())

    async def register(self, principal: Principal, draft: RecipientDraft) -> Recipient:
        return await self.recipient_keys.register(principal, draft)

    async def recipients(self, principal: Principal) -> list[Recipient]:
        return await self.recipient_keys.recipients(principal)

    async def add_participant(
        self, principal: Principal, meeting_id: str, recipient_id: str
    ) -> list[Recipient]:
        async with self._uow() as uow:
            await uow.journal.lock()  # a circulation being queued sees all or none of it
            await self._owned_meeting(uow, principal, meeting_id)
            recipient = await uow.recipients.get(recipient_id)
            if recipient is None or recipient.kif_unit != principal.unit:
                raise InvalidInput([FieldError("recipient_id", "names no recipient of yours")])
            if recipient.retired_at is not None:
                raise InvalidInput([FieldError("recipient_id", "names a retired recipient")])
            if any(p.id == recipient_id for p in await uow.recipients.participants(meeting_id)):
                raise Conflict("The recipient already takes part in the meeting.")
            try:
                await uow.recipients.add_participant(
                    meeting_id, recipient_id, self._clock.now(), principal.sub
                )
            except DuplicateKey:
                raise Conflict("The recipient already takes part in the meeting.") from None
            participants = await uow.recipients.participants(meeting_id)
            await uow.commit()
        return participants

    async def participants(self, principal: Principal, meeting_id: str) -> list[Recipient]:
        async with self._uow() as uow:
            await self._owned_meeting(uow, principal, meeting_id)
            return await uow.recipients.participants(meeting_id)

    async def circulate(
        self, principal: Principal, document_id: str, n: int, again: Again | None = None
    ) -> Circulated:
        """Encrypt version ``n`` to every participant, then queue it all in one transaction.

        The slow part (gpg for every participant) holds neither a transaction nor the
        journal's lock, so list changes and reads elsewhere go on meanwhile. The queueing
        transaction takes the lock and checks again that ``n`` is still the latest version,
        not circulated meanwhile (unless ``again``), and the participants are the ones it
        was sealed for: a version is never queued after a newer one landed.
        """
        again = again or Again()
        async with self._uow() as uow:
            meeting, document, plaintext = await self._latest(uow, principal, document_id, n)
            previous = None if n == 1 else await read_version(uow, meeting.id, document_id, n - 1)
            await self._check_again(uow, document_id, n, again)
            participants = await uow.recipients.participants(meeting.id)
            if not participants:
                raise InvalidInput([FieldError("participants", "the meeting has none")])
        await self.recipient_keys.check_keys(participants)
        content = await self.sealer.content(meeting, document, previous, plaintext, participants)
        circulation = Circulation(
            self._new_id(),
            document_id,
            n,
            meeting.id,
            self._clock.now(),
            principal.sub,
            again.reason if again.again else None,
        )
        messages = await self.sealer.seal(
            content,
            participants,
            circulation_id=circulation.id,
            key=circulation.id,
            at=circulation.created_at,
        )
        async with self._uow() as uow:
            await uow.journal.lock()  # no new version can land while this one is queued
            if n != await uow.documents.latest_version(document_id):
                raise NotLatestVersion
            await self._check_again(uow, document_id, n, again)
            now_taking_part = await uow.recipients.participants(meeting.id)
            if _keys_of(now_taking_part) != _keys_of(participants):
                raise Conflict("The meeting's participants changed meanwhile; circulate again.")
            await uow.circulations.add(circulation)
            for delivery, message in messages:
                await uow.circulations.queue(delivery, message, circulation.created_at)
            await uow.circulations.announce()
            await uow.access_log.record(
                principal,
                resource="circulation",
                resource_id=circulation.id,
                subjects=subjects_of(document.entries, _removed(previous, document)),
                at=circulation.created_at,
            )
            await uow.commit()
        self._queued()
        return Circulated(circulation, [delivery for delivery, _ in messages])

    async def status(self, principal: Principal, circulation_id: str) -> Circulated:
        async with self._uow() as uow:
            circulation = await uow.circulations.get(circulation_id)
            meeting = (
                None if circulation is None else await uow.meetings.get(circulation.meeting_id)
            )
            if (
                circulation is None
                or meeting is None
                or not reads_documents_of(principal, meeting.kif_unit)
            ):
                raise NotFound
            return Circulated(circulation, await uow.circulations.deliveries(circulation_id))

    async def remove_participant(
        self, principal: Principal, meeting_id: str, recipient_id: str
    ) -> None:
        """The recipient no longer takes part: later circulations leave them out."""
        async with self._uow() as uow:
            await uow.journal.lock()  # a circulation being queued sees all or none of it
            await self._owned_meeting(uow, principal, meeting_id)
            if not await uow.recipients.remove_participant(meeting_id, recipient_id):
                raise NotFound
            await uow.commit()

    @staticmethod
    async def _check_again(uow: UnitOfWork, document_id: str, n: int, again: Again) -> None:
        circulated_before = await uow.circulations.circulated(document_id, n)
        check_circulation(
            circulated_before=circulated_before, again=again.again, reason=again.reason
        )

    async def _owned_meeting(
        self, uow: UnitOfWork, principal: Principal, meeting_id: str
    ) -> Meeting:
        meeting = await uow.meetings.get(meeting_id)
        if meeting is None or not owns_meeting(principal, meeting.kif_unit):
            raise NotFound
        return meeting

    async def _latest(
        self, uow: UnitOfWork, principal: Principal, document_id: str, n: int
    ) -> tuple[Meeting, DocumentVersion, bytes]:
        """The meeting, version ``n`` (which must be the latest) and its canonical JSON."""
        meeting_id = await uow.documents.meeting_of(document_id)
        meeting = (
            None if meeting_id is None else await self._owned_meeting(uow, principal, meeting_id)
        )
        if meeting is None:
            raise NotFound
        ensure_not_cancelled(meeting.status)
        if n != await uow.documents.latest_version(document_id):
            raise NotLatestVersion
        document, plaintext = await read_version_json(uow, meeting.id, document_id, n)
        return meeting, document, plaintext


def _removed(previous: DocumentVersion | None, document: DocumentVersion) -> tuple[ListEntry, ...]:
    """Who the document shows as removed since the previous version (they are in it too)."""
    changes = changes_of(previous, document)
    return () if changes is None else changes.removed


def _keys_of(participants: list[Recipient]) -> set[tuple[str, str, bool]]:
    """Who is circulated to, with which key: a key replaced or revoked while the messages
    were being sealed makes the circulation start again."""
    return {(r.id, r.fingerprint, r.key_revoked) for r in participants}
