"""What a meeting's invitation says (the RFC 5545 rendering is ``ksp.mail.invitation``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["InvitationFacts"]


@dataclass(frozen=True, slots=True)
class InvitationFacts:
    meeting_id: str
    title: str
    location: str | None
    scheduled_for: dt.datetime
    sequence: int  # the number of reschedules so far
    cancelled: bool
    organizer: str  # the secretariat's function mailbox
    attendees: Sequence[str]
    stamped_at: dt.datetime  # when this invitation was made (DTSTAMP)
