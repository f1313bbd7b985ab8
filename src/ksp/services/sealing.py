"""Sealing a circulation: one signed, encrypted message per participant, in parallel, each
in the envelope of the participant's key format (PGP/MIME or S/MIME).

gpg and the S/MIME builders run in worker threads, at most as many at once as the limiter
allows. A refusal by the mail adapter (a domain error, e.g. a value that cannot be a
header) is the request's answer, not an exception group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import anyio
import anyio.to_thread

from ksp.domain.circulation import Delivery, DeliveryStatus, Recipient
from ksp.domain.documents import DocumentVersion, kind_of
from ksp.domain.errors import KspError
from ksp.domain.meetings import Meeting
from ksp.services.ports import Circulation, SecureMail

__all__ = ["Letter", "Sealer", "document_letter_names"]


@dataclass(frozen=True, slots=True)
class Letter:
    """What every participant's message says; each is sealed to its recipient alone."""

    subject: str
    html: str
    attachment_name: str
    attachment_json: bytes
    calendar: bytes | None


def document_letter_names(meeting: Meeting, document: DocumentVersion) -> tuple[str, str]:
    """The inner subject and the attachment's name of a list or a minutes version."""
    n = document.version
    if kind_of(document.body) == "minutes":
        return f"Referat af KSP-møde: {meeting.title}, version {n}", f"ksp-referat-v{n}.json"
    return f"KSP-liste: {meeting.title}, version {n}", f"ksp-liste-v{n}.json"


@dataclass(frozen=True)
class Sealer:
    mail: SecureMail
    render: Callable[[DocumentVersion], str]
    new_id: Callable[[], str]
    limiter: anyio.CapacityLimiter
    invite: Callable[[Meeting, list[Recipient]], bytes] | None = None  # the invitation

    async def seal_all(
        self,
        circulation: Circulation,
        meeting: Meeting,
        document: DocumentVersion,
        plaintext: bytes,
        participants: list[Recipient],
    ) -> list[tuple[Delivery, bytes]]:
        """Each participant's delivery and sealed message, in the order of their address."""
        subject, attachment_name = document_letter_names(meeting, document)
        letter = Letter(
            subject=subject,
            html=self.render(document),
            attachment_name=attachment_name,
            attachment_json=plaintext,
            calendar=None if self.invite is None else self.invite(meeting, participants),
        )
        return await self.seal_letter(
            letter,
            participants,
            circulation_id=circulation.id,
            key=circulation.id,
            at=circulation.created_at,
        )

    async def seal_letter(
        self,
        letter: Letter,
        participants: list[Recipient],
        *,
        circulation_id: str | None,
        key: str,
        at: dt.datetime,
    ) -> list[tuple[Delivery, bytes]]:
        """``letter`` sealed to each participant, queued at ``at``; ``key`` makes the
        Message-IDs (``circulation_id`` None: a notice of no circulation)."""
        results: list[tuple[Delivery, bytes]] = []

        async def seal(recipient: Recipient) -> None:
            delivery = Delivery(
                id=self.new_id(),
                circulation_id=circulation_id,
                recipient_id=recipient.id,
                email=recipient.email,
                fingerprint=recipient.fingerprint,
                message_id=self.mail.message_id(f"{key}.{recipient.id}"),
                status=DeliveryStatus.QUEUED,
                attempts=0,
                next_attempt_at=at,
            )
            message = await anyio.to_thread.run_sync(
                lambda: self.mail.seal(
                    key_format=recipient.key_format,
                    to=recipient.email,
                    fingerprint=recipient.fingerprint,
                    subject=letter.subject,
                    html=letter.html,
                    attachment_name=letter.attachment_name,
                    attachment_json=letter.attachment_json,
                    message_id=delivery.message_id,
                    date=at,
                    calendar=letter.calendar,
                ),
                limiter=self.limiter,
            )
            results.append((delivery, message))

        try:
            async with anyio.create_task_group() as group:
                for recipient in participants:
                    group.start_soon(seal, recipient)
        except ExceptionGroup as failed:
            refusal, other = failed.split(KspError)
            if refusal is None or other is not None:
                raise
            raise _first_leaf(refusal) from None
        return sorted(results, key=lambda item: item[0].email)


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first
