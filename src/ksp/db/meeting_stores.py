"""Stores for meetings and for KSP documents and their versions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import RowMapping, String, cast, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from ksp.db.data_key_store import KEY_COLUMNS, SqlDataKeyStore, version_owner
from ksp.db.tables import data_keys, document_versions, documents, meetings
from ksp.domain.meeting_status import MeetingStatus
from ksp.domain.meetings import Meeting
from ksp.services.ports import Page, VersionRecord

__all__ = ["SqlDocumentStore", "SqlMeetingStore"]


def _meeting(row: RowMapping) -> Meeting:
    values: dict[str, Any] = dict(row)
    return Meeting(**{**values, "status": MeetingStatus(values["status"])})


class SqlMeetingStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, meeting: Meeting) -> None:
        await self._session.execute(
            insert(meetings).values(
                id=meeting.id,
                kif_unit=meeting.kif_unit,
                municipality_code=meeting.municipality_code,
                police_district=meeting.police_district,
                scheduled_for=meeting.scheduled_for,
                title=meeting.title,
                created_at=meeting.created_at,
                created_by_sub=meeting.created_by_sub,
            )
        )

    async def get(self, meeting_id: str) -> Meeting | None:
        query = select(meetings).where(meetings.c.id == meeting_id)
        row = (await self._session.execute(query)).first()
        return None if row is None else _meeting(row._mapping)

    async def find(self, kif_unit: str, page: Page) -> list[Meeting]:
        query = (
            select(meetings)
            .where(meetings.c.kif_unit == kif_unit)
            .order_by(meetings.c.scheduled_for, meetings.c.id)
            .limit(page.limit)
            .offset(page.offset)
        )
        return [_meeting(row._mapping) for row in await self._session.execute(query)]


_VERSION_OWNER = (  # version_owner() in SQL, to join a version's data key onto its row
    literal("version:")
    + document_versions.c.document_id
    + literal("/")
    + cast(document_versions.c.version, String)
)


class SqlDocumentStore:
    """Version reasons are free text and may name people: they are sealed under the
    version's own data key (``version:<document>/<n>``), destroyed when the version is."""

    def __init__(self, session: AsyncSession, keys: SqlDataKeyStore) -> None:
        self._session = session
        self._keys = keys

    async def of_meeting(self, meeting_id: str, kind: str = "list") -> str | None:
        query = select(documents.c.id).where(
            documents.c.meeting_id == meeting_id, documents.c.kind == kind
        )
        found: str | None = (await self._session.execute(query)).scalar_one_or_none()
        return found

    async def meeting_of(self, document_id: str) -> str | None:
        query = select(documents.c.meeting_id).where(documents.c.id == document_id)
        found: str | None = (await self._session.execute(query)).scalar_one_or_none()
        return found

    async def kinds_of_meeting(self, meeting_id: str) -> list[tuple[str, str]]:
        """The meeting's documents as (id, kind), the list first."""
        query = (
            select(documents.c.id, documents.c.kind)
            .where(documents.c.meeting_id == meeting_id)
            .order_by(documents.c.kind)
        )
        return [(row.id, row.kind) for row in await self._session.execute(query)]

    async def create(
        self, document_id: str, meeting_id: str, at: dt.datetime, kind: str = "list"
    ) -> None:
        await self._session.execute(
            insert(documents).values(
                id=document_id, meeting_id=meeting_id, kind=kind, created_at=at
            )
        )

    async def latest_version(self, document_id: str) -> int:
        query = select(func.max(document_versions.c.version)).where(
            document_versions.c.document_id == document_id
        )
        latest: int | None = (await self._session.execute(query)).scalar_one()
        return latest or 0

    def _context(self, document_id: str, version: int) -> str:
        return f"document_versions.reason:{document_id}/{version}"

    async def add_version(self, record: VersionRecord) -> None:
        reason = await self._keys.encrypt_new(
            version_owner(record.document_id, record.version),
            record.reason,
            context=self._context(record.document_id, record.version),
        )
        await self._session.execute(
            insert(document_versions).values(
                document_id=record.document_id,
                version=record.version,
                journal_seq=record.journal_seq,
                sha256=record.sha256,
                created_at=record.created_at,
                created_by_sub=record.created_by_sub,
                reason_ct=reason,
                entry_count=record.entry_count,
            )
        )

    async def versions(self, document_id: str) -> list[VersionRecord]:
        query = (
            select(document_versions)
            .where(document_versions.c.document_id == document_id)
            .order_by(document_versions.c.version)
        )
        rows = list(await self._session.execute(query))
        await self._keys.load(r.reason_ct for r in rows)
        return [self._record(row._mapping) for row in rows]

    async def version(self, document_id: str, version: int) -> VersionRecord | None:
        query = (
            select(document_versions, *KEY_COLUMNS)
            .outerjoin(data_keys, data_keys.c.owner == _VERSION_OWNER)
            .where(
                document_versions.c.document_id == document_id,
                document_versions.c.version == version,
            )
        )
        row = (await self._session.execute(query)).first()
        if row is None:
            return None
        self._keys.offer(row._mapping)  # the reason's key came with it: no query of its own
        await self._keys.load([row.reason_ct])
        return self._record(row._mapping)

    def _record(self, row: object) -> VersionRecord:
        values = {k: v for k, v in dict(row).items() if not k.startswith("dk_")}  # type: ignore[call-overload]
        reason_ct = bytes(values.pop("reason_ct"))
        # an erased version's reason is blank (db/erasure_store.py)
        reason = self._keys.read(
            reason_ct, context=self._context(values["document_id"], values["version"])
        )
        return VersionRecord(reason=reason, **values)
