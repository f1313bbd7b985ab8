"""Sealing mail to a meeting's participants: one signed, encrypted message per participant,
in parallel, each in the envelope of the participant's key format (PGP/MIME or S/MIME), or,
for a notice recipient, a signed notice without personal data.

:meth:`Sealer.seal` is the one path every such mail takes, a circulation's and a
cancellation notice's alike: what the mail holds is a
:class:`~ksp.domain.circulation.CirculationContent`, built for a circulation by
:meth:`Sealer.content` and for a notice by :mod:`ksp.services.cancellation`.

gpg and the S/MIME builders run in worker threads, at most as many at once as the limiter
allows. A refusal by the mail adapter (a domain error, e.g. a value that cannot be a
header) is the request's answer, not an exception group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio
import anyio.to_thread

from ksp.domain.circulation import CirculationContent, Delivery, DeliveryStatus, Recipient
from ksp.domain.documents import DocumentVersion, Printable, changes_of, kind_of
from ksp.domain.errors import KspError
from ksp.domain.meetings import Meeting
from ksp.services.notices import version_notice
from ksp.services.ports import SecureMail

__all__ = ["OptionalParts", "Sealer", "document_letter_names"]


def document_letter_names(meeting: Meeting, document: DocumentVersion) -> tuple[str, str]:
    """The inner subject and the JSON attachment's name of a list or a minutes version."""
    n = document.version
    if kind_of(document.body) == "minutes":
        return f"Referat af KSP-møde: {meeting.title}, version {n}", f"ksp-referat-v{n}.json"
    return f"KSP-liste: {meeting.title}, version {n}", f"ksp-liste-v{n}.json"


@dataclass(frozen=True)
class OptionalParts:
    """Where a circulation mail's optional parts come from; None: it goes without."""

    invite: Callable[[Meeting, list[Recipient]], bytes] | None = None  # the invitation
    print_pdf: Callable[[str], Awaitable[bytes]] | None = None  # the document's PDF/A
    receipt_of: Callable[[str, int], Awaitable[str]] | None = None  # the version's receipt
    public_url: str = ""  # KSP_PUBLIC_URL: the notices' links start with it


@dataclass(frozen=True)
class Sealer:
    mail: SecureMail
    render: Callable[[Printable], str]
    new_id: Callable[[], str]
    limiter: anyio.CapacityLimiter
    parts: OptionalParts = OptionalParts()

    async def content(
        self,
        meeting: Meeting,
        document: DocumentVersion,
        previous: DocumentVersion | None,
        plaintext: bytes,
        participants: list[Recipient],
    ) -> CirculationContent:
        """What every participant's mail of a circulation holds inside its envelope: the
        one place that decides its parts (HTML, canonical JSON, PDF, invitation, receipt),
        and the notice that notice recipients get instead."""
        html = self.render(Printable(document, participants, changes_of(previous, document)))
        subject, json_name = document_letter_names(meeting, document)
        parts = self.parts
        return CirculationContent(
            subject=subject,
            html=html,
            json_name=json_name,
            json=plaintext,
            pdf_name=None if parts.print_pdf is None else json_name.removesuffix(".json") + ".pdf",
            pdf=None if parts.print_pdf is None else await parts.print_pdf(html),
            calendar=None if parts.invite is None else parts.invite(meeting, participants),
            receipt=(
                None
                if parts.receipt_of is None
                else await parts.receipt_of(document.document_id, document.version)
            ),
            notice=version_notice(meeting, document, parts.public_url),
        )

    async def seal(
        self,
        content: CirculationContent,
        participants: list[Recipient],
        *,
        circulation_id: str | None,
        key: str,
        at: dt.datetime,
    ) -> list[tuple[Delivery, bytes]]:
        """``content`` sealed to each participant, queued at ``at``, in the order of their
        address; ``key`` makes the Message-IDs (``circulation_id`` None: a notice of no
        circulation)."""
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
                    content=content,
                    message_id=delivery.message_id,
                    date=at,
                    delivery=recipient.delivery,
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
