"""What the meeting secretariat's services share: the meeting a KiF unit owns, the cases on
its latest list, its Danish day, and journalling a typed record."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from ksp.domain.access import Principal, owns_meeting
from ksp.domain.documents import entries_of
from ksp.domain.errors import NotFound
from ksp.domain.lists import ListEntry
from ksp.domain.meetings import Meeting
from ksp.domain.records import Record
from ksp.journal.canonical import canonical
from ksp.services.ports import UnitOfWork

__all__ = [
    "COPENHAGEN",
    "append_record",
    "latest_list_entries",
    "listed_case_ids",
    "meeting_day",
    "owned_meeting",
]

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def meeting_day(meeting: Meeting) -> dt.date:
    """The meeting's calendar day in Denmark (a 00.30 meeting is on the Danish day)."""
    return meeting.scheduled_for.astimezone(COPENHAGEN).date()


async def append_record(uow: UnitOfWork, record: Record, ref: str) -> int:
    """Journal ``record`` (the caller holds the journal lock); its sequence number."""
    appended = await uow.journal.append(
        kind=record.KIND,
        ref=ref,
        author=record.recorded_by,
        created_at=record.recorded_at,
        plaintext=canonical(record.as_json()),
    )
    return appended.seq


async def owned_meeting(uow: UnitOfWork, principal: Principal, meeting_id: str) -> Meeting:
    """The meeting, if the caller's KiF unit called it; else NotFound (existence does not
    leak)."""
    meeting = await uow.meetings.get(meeting_id)
    if meeting is None or not owns_meeting(principal, meeting.kif_unit):
        raise NotFound
    return meeting


async def listed_case_ids(uow: UnitOfWork, meeting_id: str) -> set[str]:
    """The case ids on the meeting's latest list version."""
    return {entry.case_id for entry in await latest_list_entries(uow, meeting_id)}


async def latest_list_entries(uow: UnitOfWork, meeting_id: str) -> tuple[ListEntry, ...]:
    """The entries of the meeting's latest list version, in its order (the agenda)."""
    document_id = await uow.documents.of_meeting(meeting_id)
    if document_id is None:
        return ()
    latest = await uow.documents.latest_version(document_id)
    record = await uow.documents.version(document_id, latest)
    if record is None:
        return ()
    return entries_of(json.loads(await uow.journal.plaintext(record.journal_seq)))
