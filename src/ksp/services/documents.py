"""Use cases for reading KSP documents: versions, one version, the difference of two.

Every read that shows personal data is logged with the subjects it showed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable

from ksp.domain.access import Principal, reads_documents_of, reads_when_circulated_to_unit
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
from ksp.domain.minutes_diff import diff_minutes
from ksp.services.ports import Clock, UnitOfWork, UnitOfWorkFactory, VersionRecord

__all__ = ["DocumentService", "read_version", "read_version_json", "subjects_of"]


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
            found = await self._read(uow, principal, document_id, n, circulated=True)
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
            found = await self._read(uow, principal, document_id, n, circulated=True)
            # what changed is part of version n, whoever reads it
            previous = (
                None if n == 1 else await read_version(uow, found.meeting_id, document_id, n - 1)
            )
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
            # One check for both: only KiF of the meeting and auditors may compare versions.
            meeting_id = await self._readable_meeting(uow, principal, document_id, before)
            old = await read_version(uow, meeting_id, document_id, before)
            new = await read_version(uow, meeting_id, document_id, after)
            result = diff_lists(old.entries, new.entries)
            shown = [result.added, result.removed, tuple(a for _, a in result.changed)]
            if old.kind == "minutes" and new.kind == "minutes":
                minutes = diff_minutes(old.body, new.body)
                result = dataclasses.replace(result, minutes=minutes)
                touched = minutes.case_ids()
                shown.append(tuple(e for e in (*old.entries, *new.entries) if e.case_id in touched))
            await uow.access_log.record(
                principal,
                resource="document-diff",
                resource_id=f"{document_id}/{before}..{after}",
                subjects=subjects_of(*shown),
                at=self._clock.now(),
            )
            await uow.commit()
        return result

    @classmethod
    async def _read(
        cls,
        uow: UnitOfWork,
        principal: Principal,
        document_id: str,
        n: int,
        *,
        circulated: bool = False,
    ) -> DocumentVersion:
        """Version ``n``, if the principal may read it (:meth:`_readable_meeting`)."""
        meeting_id = await cls._readable_meeting(
            uow, principal, document_id, n, circulated=circulated
        )
        return await read_version(uow, meeting_id, document_id, n)

    @staticmethod
    async def _readable_meeting(
        uow: UnitOfWork, principal: Principal, document_id: str, n: int, *, circulated: bool = False
    ) -> str:
        """The id of the document's meeting, if the principal may read its version ``n``: KiF
        of the meeting and auditors, or (``circulated``) a participant of a unit it was
        circulated to; NotFound otherwise."""
        meeting_id = await uow.documents.meeting_of(document_id)
        meeting = None if meeting_id is None else await uow.meetings.get(meeting_id)
        if meeting is None:
            raise NotFound
        if not reads_documents_of(principal, meeting.kif_unit) and not (
            circulated
            and reads_when_circulated_to_unit(principal)
            and await uow.circulations.circulated_to_unit(document_id, n, principal.unit)
        ):
            raise NotFound
        return meeting.id


async def read_version(
    uow: UnitOfWork, meeting_id: str, document_id: str, n: int
) -> DocumentVersion:
    """Version ``n`` of the meeting's document, from the journal (the caller checked that
    it may be read); NotFound if there is no such version."""
    return (await read_version_json(uow, meeting_id, document_id, n))[0]


async def read_version_json(
    uow: UnitOfWork, meeting_id: str, document_id: str, n: int
) -> tuple[DocumentVersion, bytes]:
    """As :func:`read_version`, with the version's canonical JSON as the journal holds it."""
    record = await uow.documents.version(document_id, n)
    if record is None:
        raise NotFound
    plaintext = await uow.journal.plaintext(record.journal_seq)
    body = json.loads(plaintext)
    document = DocumentVersion(
        document_id=document_id,
        meeting_id=meeting_id,
        version=n,
        sha256=record.sha256,
        created_at=record.created_at,
        created_by_sub=record.created_by_sub,
        reason=record.reason,
        entries=entries_of(body),
        body=body,
        kind=kind_of(body),
    )
    return document, plaintext
