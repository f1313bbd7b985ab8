"""The notice that a meeting is cancelled (CONTRACT.md, "Meetings (issue 8)"): one signed,
encrypted message per participant, carrying the invitation with ``METHOD:CANCEL`` (same UID,
SEQUENCE raised by the cancellation), a Danish body and the cancellation's canonical JSON.

It holds no personal data: the meeting's title (refused if it could name a person), time,
place, its municipality and police district, and the function mailboxes invited. Never the
reason for cancelling, which is free text. The messages are sealed before the cancelling
transaction and queued inside it, through the circulation's outbox and worker.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ksp.domain.circulation import CirculationContent, Delivery, Recipient
from ksp.domain.danish_time import danish_date
from ksp.domain.documents import meeting_facts
from ksp.domain.meetings import Meeting
from ksp.journal.canonical import canonical
from ksp.services.meeting_journal import meeting_day
from ksp.services.notices import cancellation_notice
from ksp.services.sealing import Sealer

__all__ = [
    "CANCELLATION_ATTACHMENT",
    "CANCELLATION_FORMAT",
    "CancellationNotices",
    "cancellation_body",
    "cancellation_subject",
]

CANCELLATION_FORMAT = "ksp-cancellation/1"
CANCELLATION_ATTACHMENT = "ksp-aflysning.json"


def cancellation_subject(meeting: Meeting) -> str:
    """A neutral inner subject: that a KSP meeting on a Danish day is cancelled, no title."""
    return f"KSP-møde aflyst: {danish_date(meeting_day(meeting))}"


def cancellation_body(meeting: Meeting, at: dt.datetime) -> dict[str, Any]:
    """The machine-readable notice, as the attachment carries it."""
    return {
        "format": CANCELLATION_FORMAT,
        "kind": "cancellation",
        "meeting": {**meeting_facts(meeting), "location": meeting.location},
        "status": meeting.status.value,
        "sequence": meeting.sequence,
        "cancelled_at": at.isoformat(),
    }


@dataclass(frozen=True)
class CancellationNotices:
    sealer: Sealer
    check_keys: Callable[[list[Recipient]], Awaitable[None]]  # as a circulation checks them
    render: Callable[[Meeting], str]  # the Danish HTML body
    invite: Callable[[Meeting, list[Recipient]], bytes]  # the RFC 5545 invitation
    new_id: Callable[[], str] = lambda: str(uuid.uuid4())

    async def seal(
        self, cancelled: Meeting, participants: list[Recipient], at: dt.datetime
    ) -> list[tuple[Delivery, bytes]]:
        """Each participant's notice of the (already cancelled) meeting, sealed."""
        if not participants:
            return []
        await self.check_keys(participants)
        content = CirculationContent(
            subject=cancellation_subject(cancelled),
            html=self.render(cancelled),
            json_name=CANCELLATION_ATTACHMENT,
            json=canonical(cancellation_body(cancelled, at)),
            calendar=self.invite(cancelled, participants),
            notice=cancellation_notice(
                cancelled, self.sealer.parts.public_url, cancellation_subject(cancelled)
            ),
        )
        return await self.sealer.seal(
            content,
            participants,
            circulation_id=None,
            key=f"aflysning.{self.new_id()}",
            at=at,
        )
