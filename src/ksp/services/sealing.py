"""Sealing a circulation: one signed, encrypted message per participant, in parallel.

gpg runs in worker threads, at most as many at once as the limiter allows. A refusal by
the mail adapter (a domain error, e.g. a value that cannot be a header) is the request's
answer, not an exception group.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio
import anyio.to_thread

from ksp.domain.circulation import Delivery, DeliveryStatus, Recipient
from ksp.domain.documents import DocumentVersion
from ksp.domain.errors import KspError
from ksp.domain.meetings import Meeting
from ksp.services.ports import Circulation, SecureMail

__all__ = ["Sealer"]


@dataclass(frozen=True)
class Sealer:
    mail: SecureMail
    render: Callable[[DocumentVersion], str]
    new_id: Callable[[], str]
    limiter: anyio.CapacityLimiter
    invite: Callable[[Meeting, list[Recipient]], bytes] | None = None  # the invitation
    receipt_of: Callable[[str, int], Awaitable[str]] | None = None  # the version's receipt

    async def seal_all(
        self,
        circulation: Circulation,
        meeting: Meeting,
        document: DocumentVersion,
        plaintext: bytes,
        participants: list[Recipient],
    ) -> list[tuple[Delivery, bytes]]:
        """Each participant's delivery and sealed message, in the order of their address."""
        html = self.render(document)
        calendar = None if self.invite is None else self.invite(meeting, participants)
        receipt = None
        if self.receipt_of is not None:
            receipt = await self.receipt_of(document.document_id, document.version)
        subject = f"KSP-liste: {meeting.title}, version {document.version}"
        results: list[tuple[Delivery, bytes]] = []

        async def seal(recipient: Recipient) -> None:
            delivery = Delivery(
                id=self.new_id(),
                circulation_id=circulation.id,
                recipient_id=recipient.id,
                email=recipient.email,
                fingerprint=recipient.fingerprint,
                message_id=self.mail.message_id(f"{circulation.id}.{recipient.id}"),
                status=DeliveryStatus.QUEUED,
                attempts=0,
                next_attempt_at=circulation.created_at,
            )
            message = await anyio.to_thread.run_sync(
                lambda: self.mail.seal(
                    to=recipient.email,
                    fingerprint=recipient.fingerprint,
                    subject=subject,
                    html=html,
                    attachment_name=f"ksp-liste-v{document.version}.json",
                    attachment_json=plaintext,
                    message_id=delivery.message_id,
                    date=circulation.created_at,
                    calendar=calendar,
                    receipt=receipt,
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
