"""Use cases for meetings and their KSP lists (guide 3.3.7)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ksp.domain.access import Principal, Role, owns_meeting
from ksp.domain.cases import Case, CaseStatus
from ksp.domain.documents import document_body, entries_of
from ksp.domain.errors import NotFound
from ksp.domain.lists import (
    MAX_ENTRIES,
    ListChange,
    ListEntry,
    apply_change,
    check_base_version,
)
from ksp.domain.meeting_status import ensure_not_cancelled
from ksp.domain.meetings import Meeting, MeetingDraft, parse_meeting
from ksp.journal.canonical import canonical
from ksp.services.ports import Clock, Page, UnitOfWork, UnitOfWorkFactory, VersionRecord

__all__ = [
    "DOCUMENT_VERSION",
    "MeetingService",
    "NewVersion",
    "document_of",
    "journal_version",
]

DOCUMENT_VERSION = "document-version"  # the journal entry kind of a list version


@dataclass(frozen=True, slots=True)
class NewVersion:
    document_id: str
    version: int
    sha256: str


class MeetingService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        *,
        max_list_entries: int = MAX_ENTRIES,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._new_id = new_id
        self._max_entries = max_list_entries

    async def create(self, principal: Principal, draft: MeetingDraft) -> Meeting:
        meeting = parse_meeting(
            draft,
            meeting_id=self._new_id(),
            kif_unit=principal.unit,
            by_sub=principal.sub,
            now=self._clock.now(),
        )
        async with self._uow() as uow:
            await uow.meetings.add(meeting)
            await uow.commit()
        return meeting

    async def find(self, principal: Principal, page: Page) -> list[Meeting]:
        """KiF: the meetings it called. Participants: those they take part in."""
        async with self._uow() as uow:
            if principal.role is Role.KIF:
                return await uow.meetings.find(principal.unit, page)
            ids = await self._taking_part(uow, principal)
            found = [m for m in [await uow.meetings.get(i) for i in sorted(ids)] if m]
        found.sort(key=lambda m: (m.scheduled_for, m.id))
        return found[page.offset : page.offset + page.limit]

    async def get(self, principal: Principal, meeting_id: str) -> Meeting:
        async with self._uow() as uow:
            meeting = await uow.meetings.get(meeting_id)
            visible = meeting is not None and (
                owns_meeting(principal, meeting.kif_unit)
                or meeting_id in await self._taking_part(uow, principal)
            )
        if meeting is None or not visible:
            raise NotFound
        return meeting

    @staticmethod
    async def _taking_part(uow: UnitOfWork, principal: Principal) -> set[str]:
        """Meetings where the caller is a registered participant (by e-mail and unit)."""
        if principal.role is not Role.PARTICIPANT or principal.email is None:
            return set()
        return set(await uow.recipients.meetings_of(principal.email, principal.unit))

    async def change_list(
        self, principal: Principal, meeting_id: str, change: ListChange
    ) -> NewVersion:
        """One accepted change makes exactly one new journalised version (guide 3.3.7: "skal
        der oprettes et nyt dokument når KSP-listen opdateres, som skal journaliseres på ny")."""
        async with self._uow() as uow:
            await uow.journal.lock()
            meeting = await uow.meetings.get(meeting_id)
            if meeting is None or not owns_meeting(principal, meeting.kif_unit):
                raise NotFound
            ensure_not_cancelled(meeting.status)
            document_id, latest = await self._document(uow, meeting)
            check_base_version(change, latest)
            current = await self._entries(uow, document_id, latest)
            cases = await self._cases(uow, (*change.add, *(e.case_id for e in current)))
            entries = apply_change(meeting, current, change, cases, max_entries=self._max_entries)
            now, version = self._clock.now(), latest + 1
            body = document_body(
                meeting,
                document_id=document_id,
                version=version,
                created_at=now,
                created_by_sub=principal.sub,
                reason=change.reason,
                entries=entries,
                created_by_name=principal.name,
            )
            made = await journal_version(
                uow,
                DOCUMENT_VERSION,
                VersionRecord(
                    document_id, version, 0, "", now, principal.sub, change.reason, len(entries)
                ),
                body,
            )
            await _record_listing(uow, meeting, document_id, version, entries, change.remove)
            await uow.commit()
        return made

    async def _document(self, uow: UnitOfWork, meeting: Meeting) -> tuple[str, int]:
        return await document_of(uow, meeting, "list", self._new_id, self._clock.now())

    @staticmethod
    async def _entries(uow: UnitOfWork, document_id: str, version: int) -> tuple[ListEntry, ...]:
        if version == 0:
            return ()
        record = await uow.documents.version(document_id, version)
        assert record is not None
        return entries_of(json.loads(await uow.journal.plaintext(record.journal_seq)))

    @staticmethod
    async def _cases(uow: UnitOfWork, case_ids: tuple[str, ...]) -> dict[str, Case]:
        return await uow.cases.get_many(case_ids)


async def document_of(
    uow: UnitOfWork, meeting: Meeting, kind: str, new_id: Callable[[], str], at: dt.datetime
) -> tuple[str, int]:
    """The meeting's document of ``kind`` (made if it has none) and its latest version."""
    document_id = await uow.documents.of_meeting(meeting.id, kind)
    if document_id is None:
        document_id = new_id()
        await uow.documents.create(document_id, meeting.id, at, kind)
        return document_id, 0
    return document_id, await uow.documents.latest_version(document_id)


async def journal_version(
    uow: UnitOfWork, entry_kind: str, facts: VersionRecord, body: dict[str, Any]
) -> NewVersion:
    """Journal a version's canonical body and index it (``facts`` without seq and hash)."""
    appended = await uow.journal.append(
        kind=entry_kind,
        ref=f"{facts.document_id}/{facts.version}",
        author=facts.created_by_sub,
        created_at=facts.created_at,
        plaintext=canonical(body),
    )
    await uow.documents.add_version(
        dataclasses.replace(facts, journal_seq=appended.seq, sha256=appended.plaintext_sha256)
    )
    return NewVersion(facts.document_id, facts.version, appended.plaintext_sha256)


async def _record_listing(
    uow: UnitOfWork,
    meeting: Meeting,
    document_id: str,
    version: int,
    entries: tuple[ListEntry, ...],
    removed: tuple[str, ...],
) -> None:
    """Which cases the new version holds; a case on it is ``listed`` at this meeting, and
    one removed that no other latest version holds is back to ``meeting`` (triaged)."""
    held = [entry.case_id for entry in entries]
    await uow.case_history.add_list_entries(document_id, version, held)
    ready = [CaseStatus.MEETING, CaseStatus.LISTED]
    await uow.cases.set_status(held, CaseStatus.LISTED, where=ready, meeting_id=meeting.id)
    elsewhere = await uow.case_history.listings(removed)
    for case_id, listings in elsewhere.items():
        still = listings[0][0] if listings else None
        status = CaseStatus.LISTED if listings else CaseStatus.MEETING
        await uow.cases.set_status([case_id], status, where=[CaseStatus.LISTED], meeting_id=still)
