"""Fakes of the case, access-log, meeting, document and journal stores."""

# ruff: noqa: ARG002  (a fake keeps only what the tests read; the port's signature stays)

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Collection, Sequence
from typing import TypeVar

from ksp.domain.access import CaseScope, Principal, purpose_of
from ksp.domain.audit import AccessRecord
from ksp.domain.cases import Case, CaseStatus, Triage
from ksp.domain.cpr import Cpr
from ksp.domain.meetings import Meeting
from ksp.journal.entry import StoredEntry
from ksp.services.ports import (
    AccessLogStore,
    Appended,
    CaseStore,
    DocumentStore,
    JournalRecord,
    JournalStore,
    MeetingStore,
    Page,
    TimeRange,
    VersionRecord,
)
from unit.fakes.state import JournalRow, LoggedRead, State

__all__ = [
    "FakeAccessLogStore",
    "FakeCaseStore",
    "FakeDocumentStore",
    "FakeJournalStore",
    "FakeMeetingStore",
    "JournalRow",
    "LoggedRead",
]

_T = TypeVar("_T")


def _paged(items: Sequence[_T], page: Page) -> list[_T]:
    return list(items[page.offset : page.offset + page.limit])


class FakeCaseStore(CaseStore):
    def __init__(self, state: State) -> None:
        self._state = state

    async def add(self, case: Case) -> None:
        assert case.id not in self._state.cases, "a case id is stored once"
        self._state.cases[case.id] = case

    async def get(self, case_id: str) -> Case | None:
        return self._state.cases.get(case_id)

    async def get_many(self, case_ids: Collection[str]) -> dict[str, Case]:
        return {i: self._state.cases[i] for i in case_ids if i in self._state.cases}

    async def find(
        self,
        scope: CaseScope,
        page: Page,
        *,
        status: CaseStatus | None = None,
        meeting_id: str | None = None,
    ) -> list[Case]:
        found = [
            case
            for case in sorted(self._state.cases.values(), key=lambda c: (c.submitted_at, c.id))
            if case.visible_in(scope)
            and (status is None or case.status is status)
            and (meeting_id is None or case.meeting_id == meeting_id)
        ]
        return _paged(found, page)

    async def save_triage(self, case: Case, previous: Triage | None) -> bool:
        stored = self._state.cases[case.id]
        if stored.triage != previous:
            return False
        self._state.cases[case.id] = case
        return True

    async def save_facts(self, case: Case) -> None:
        raise NotImplementedError

    async def set_status(
        self,
        case_ids: Collection[str],
        status: CaseStatus,
        *,
        where: Collection[CaseStatus],
        meeting_id: str | None,
    ) -> None:
        for case_id in case_ids:
            case = self._state.cases.get(case_id)
            if case is not None and case.status in where:
                changed = dataclasses.replace(case, status=status, meeting_id=meeting_id)
                self._state.cases[case_id] = changed

    async def with_cpr(self, cpr: Cpr, kif_unit: str) -> list[Case]:
        return [
            case
            for case in self._state.cases.values()
            if case.cpr.digits == cpr.digits and case.kif_unit == kif_unit
        ]


class FakeAccessLogStore(AccessLogStore):
    def __init__(self, state: State) -> None:
        self._state = state

    async def record(
        self,
        principal: Principal,
        *,
        resource: str,
        resource_id: str | None,
        subjects: Sequence[Cpr],
        at: dt.datetime,
    ) -> None:
        self._state.access_log.append(
            LoggedRead(
                at=at,
                sub=principal.sub,
                role=principal.role.value,
                unit=principal.unit,
                resource=resource,
                resource_id=resource_id,
                subjects=tuple(cpr.digits for cpr in subjects),
                purpose=purpose_of(principal).value,
            )
        )

    async def find(
        self, period: TimeRange, page: Page, *, subject: Cpr | None = None
    ) -> list[AccessRecord]:
        raise NotImplementedError


class FakeMeetingStore(MeetingStore):
    def __init__(self, state: State) -> None:
        self._state = state

    async def add(self, meeting: Meeting) -> None:
        self._state.meetings[meeting.id] = meeting

    async def get(self, meeting_id: str) -> Meeting | None:
        return self._state.meetings.get(meeting_id)

    async def find(self, kif_unit: str, page: Page) -> list[Meeting]:
        mine = [m for m in self._state.meetings.values() if m.kif_unit == kif_unit]
        return _paged(sorted(mine, key=lambda m: (m.scheduled_for, m.id)), page)


class FakeDocumentStore(DocumentStore):
    def __init__(self, state: State) -> None:
        self._state = state

    async def of_meeting(self, meeting_id: str, kind: str = "list") -> str | None:
        found = [d for d, (m, k) in self._state.documents.items() if (m, k) == (meeting_id, kind)]
        return found[0] if found else None

    async def meeting_of(self, document_id: str) -> str | None:
        found = self._state.documents.get(document_id)
        return None if found is None else found[0]

    async def kinds_of_meeting(self, meeting_id: str) -> list[tuple[str, str]]:
        return [(d, k) for d, (m, k) in self._state.documents.items() if m == meeting_id]

    async def create(
        self, document_id: str, meeting_id: str, at: dt.datetime, kind: str = "list"
    ) -> None:
        self._state.documents[document_id] = (meeting_id, kind)
        self._state.versions[document_id] = []

    async def latest_version(self, document_id: str) -> int:
        return len(self._state.versions.get(document_id, []))

    async def add_version(self, record: VersionRecord) -> None:
        versions = self._state.versions[record.document_id]
        assert record.version == len(versions) + 1, "versions are numbered without gaps"
        versions.append(record)

    async def versions(self, document_id: str) -> list[VersionRecord]:
        return list(self._state.versions.get(document_id, []))

    async def version(self, document_id: str, version: int) -> VersionRecord | None:
        versions = self._state.versions.get(document_id, [])
        return versions[version - 1] if 0 < version <= len(versions) else None


class FakeJournalStore(JournalStore):
    """The journal as a plain list: plaintext, sequence numbers from 1, and its sha256."""

    def __init__(self, state: State) -> None:
        self._state = state
        self.locked = False

    async def lock(self) -> None:
        self.locked = True

    async def snapshot(self) -> None:
        raise NotImplementedError

    async def append(
        self, *, kind: str, ref: str, author: str, created_at: dt.datetime, plaintext: bytes
    ) -> Appended:
        assert self.locked, "the journal lock is held before appending"
        seq = len(self._state.journal) + 1
        digest = hashlib.sha256(plaintext).hexdigest()
        row = JournalRow(seq, kind, ref, author, created_at, plaintext, digest)
        self._state.journal.append(row)
        return Appended(seq=seq, plaintext_sha256=digest)

    async def plaintext(self, seq: int) -> bytes:
        return self._state.journal[seq - 1].plaintext

    async def records(self, after_seq: int, limit: int) -> list[JournalRecord]:
        raise NotImplementedError

    async def stored(
        self, after_seq: int, limit: int, *, max_bytes: int | None = None
    ) -> list[StoredEntry]:
        raise NotImplementedError

    async def latest_checkpoint(self) -> tuple[int, str] | None:
        raise NotImplementedError

    async def highest_seq(self) -> int:
        return len(self._state.journal)

    async def checkpoints(
        self, *, up_to: int, after: int = 0, limit: int | None = None
    ) -> list[tuple[int, str]]:
        raise NotImplementedError

    async def checkpoint_count(self, *, up_to: int) -> int:
        raise NotImplementedError

    def open_content(self, seq: int, content: bytes) -> bytes:
        raise NotImplementedError
