"""Use cases for reading KSP documents: versions, one version, the difference of two.

Every read that shows personal data is logged with the subjects it showed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ksp.domain.access import Principal, reads_documents_of
from ksp.domain.cpr import Cpr
from ksp.domain.documents import (
    DocumentVersion,
    ListDiff,
    Printable,
    changes_of,
    diff_lists,
    entries_of,
    kind_of,
)
from ksp.domain.errors import FieldError, InvalidInput, NotFound
from ksp.domain.lists import ListEntry
from ksp.services.ports import Clock, UnitOfWork, UnitOfWorkFactory, VersionRecord

__all__ = ["DocumentService", "subjects_of"]


def subjects_of(*entry_lists: Iterable[ListEntry]) -> list[Cpr]:
    """The distinct people the entries show, for the access log."""
    digits = {entry.cpr.replace("-", "") for entries in entry_lists for entry in entries}
    return [Cpr(d) for d in sorted(digits)]


class DocumentService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def versions_of_meeting(
        self, principal: Principal, meeting_id: str
    ) -> tuple[str | None, list[tuple[str, VersionRecord]]]:
        """The id of the meeting's list document, and the versions of its list and minutes,
        each with its kind (no personal data but the reasons)."""
        async with self._uow() as uow:
            meeting = await uow.meetings.get(meeting_id)
            if meeting is None or not reads_documents_of(principal, meeting.kif_unit):
                raise NotFound
            kinds = await uow.documents.kinds_of_meeting(meeting_id)
            if not kinds:
                return None, []
            versions = [
                (kind, v)
                for document_id, kind in kinds
                for v in await uow.documents.versions(document_id)
            ]
            await uow.access_log.record(
                principal,
                resource="document-versions",
                resource_id=kinds[0][0],
                subjects=[],
                at=self._clock.now(),
            )
            await uow.commit()
        list_id = next((document_id for document_id, kind in kinds if kind == "list"), None)
        return list_id, versions

    async def version(self, principal: Principal, document_id: str, n: int) -> DocumentVersion:
        async with self._uow() as uow:
            found = await self._read(uow, principal, document_id, n)
            await uow.access_log.record(
                principal,
                resource="document-version",
                resource_id=f"{document_id}/{n}",
                subjects=subjects_of(found.entries),
                at=self._clock.now(),
            )
            await uow.commit()
        return found

    async def printable(self, principal: Principal, document_id: str, n: int) -> Printable:
        """Version ``n`` with its participants and its changes, for the HTML and the PDF;
        the read is logged with everyone it shows (those removed since the last one too)."""
        async with self._uow() as uow:
            found = await self._read(uow, principal, document_id, n)
            previous = None if n == 1 else await self._read(uow, principal, document_id, n - 1)
            changes = changes_of(previous, found)
            participants = await uow.recipients.participants(found.meeting_id)
            removed = () if changes is None else changes.removed
            await uow.access_log.record(
                principal,
                resource="document-version",
                resource_id=f"{document_id}/{n}",
                subjects=subjects_of(found.entries, removed),
                at=self._clock.now(),
            )
            await uow.commit()
        return Printable(found, participants, changes)

    async def diff(
        self, principal: Principal, document_id: str, before: int, after: int
    ) -> ListDiff:
        if before < 1 or after < 1:
            raise InvalidInput([FieldError("from", "versions start at 1")])
        async with self._uow() as uow:
            old = await self._read(uow, principal, document_id, before)
            new = await self._read(uow, principal, document_id, after)
            result = diff_lists(old.entries, new.entries)
            shown = (result.added, result.removed, tuple(a for _, a in result.changed))
            await uow.access_log.record(
                principal,
                resource="document-diff",
                resource_id=f"{document_id}/{before}..{after}",
                subjects=subjects_of(*shown),
                at=self._clock.now(),
            )
            await uow.commit()
        return result

    @staticmethod
    async def _read(
        uow: UnitOfWork, principal: Principal, document_id: str, n: int
    ) -> DocumentVersion:
        meeting_id = await uow.documents.meeting_of(document_id)
        meeting = None if meeting_id is None else await uow.meetings.get(meeting_id)
        if meeting is None or not reads_documents_of(principal, meeting.kif_unit):
            raise NotFound
        record = await uow.documents.version(document_id, n)
        if record is None:
            raise NotFound
        body = json.loads(await uow.journal.plaintext(record.journal_seq))
        return DocumentVersion(
            document_id=document_id,
            meeting_id=meeting.id,
            version=n,
            sha256=record.sha256,
            created_at=record.created_at,
            created_by_sub=record.created_by_sub,
            reason=record.reason,
            entries=entries_of(body),
            body=body,
            kind=kind_of(body),
        )
