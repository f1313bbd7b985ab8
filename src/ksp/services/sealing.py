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

from ksp.domain.circulation import CirculationContent, Delivery, DeliveryStatus, Recipient
from ksp.domain.documents import DocumentVersion, Printable, changes_of
from ksp.domain.errors import KspError
from ksp.domain.meetings import Meeting
from ksp.services.ports import Circulation, SecureMail

__all__ = ["Sealer"]


@dataclass(frozen=True)
class Sealer:
    mail: SecureMail
    render: Callable[[Printable], str]
    new_id: Callable[[], str]
    limiter: anyio.CapacityLimiter
    invite: Callable[[Meeting, list[Recipient]], bytes] | None = None  # the invitation
    print_pdf: Callable[[str], Awaitable[bytes]] | None = None  # the document's PDF/A

    async def content(
        self,
        meeting: Meeting,
        document: DocumentVersion,
        previous: DocumentVersion | None,
        plaintext: bytes,
        participants: list[Recipient],
    ) -> CirculationContent:
        """What every participant's mail holds inside its envelope: the one place that
        decides the parts of a circulation (HTML, canonical JSON, PDF, invitation)."""
        html = self.render(Printable(document, participants, changes_of(previous, document)))
        kind = "referat" if document.kind == "minutes" else "liste"
        name = f"ksp-{kind}-v{document.version}"
        return CirculationContent(
            subject=f"KSP-{kind}: {meeting.title}, version {document.version}",
            html=html,
            json_name=f"{name}.json",
            json=plaintext,
            pdf_name=None if self.print_pdf is None else f"{name}.pdf",
            pdf=None if self.print_pdf is None else await self.print_pdf(html),
            calendar=None if self.invite is None else self.invite(meeting, participants),
        )

    async def seal_all(
        self,
        circulation: Circulation,
        content: CirculationContent,
        participants: list[Recipient],
    ) -> list[tuple[Delivery, bytes]]:
        """Each participant's delivery and sealed message, in the order of their address."""
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
                    content=content,
                    message_id=delivery.message_id,
                    date=circulation.created_at,
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
