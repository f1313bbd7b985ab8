"""What happened to a case: its revisions, its triage decisions, and the latest list
versions that hold it. Every row here is written once (the database refuses changes)."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from ksp.db.data_key_store import SqlDataKeyStore, case_owner
from ksp.db.tables import case_revisions, case_triages, document_versions, documents, list_entries
from ksp.domain.cases import Triage, TriageDecision
from ksp.domain.corrections import Revision

__all__ = ["SqlCaseHistoryStore"]

_IDS_PER_QUERY = 500


class SqlCaseHistoryStore:
    """New rows are sealed under the case's data key; rows from before issue 13 stay as
    they were written (under the legacy keys), since the database refuses changes here."""

    def __init__(self, session: AsyncSession, keys: SqlDataKeyStore) -> None:
        self._session = session
        self._keys = keys

    async def _sealer(self, case_id: str) -> Callable[[str, str], bytes]:
        key_id = await self._keys.for_owner(case_owner(case_id))
        return lambda context, text: self._keys.encrypt(key_id, text, context=context)

    async def next_revision(self, case_id: str) -> int:
        query = select(func.coalesce(func.max(case_revisions.c.revision), 0))
        latest = await self._session.scalar(query.where(case_revisions.c.case_id == case_id))
        return int(latest or 0) + 1

    async def add_revision(self, revision: Revision) -> None:
        context = f"case_revisions:{revision.case_id}/{revision.revision}"
        seal = await self._sealer(revision.case_id)
        await self._session.execute(
            insert(case_revisions).values(
                case_id=revision.case_id,
                revision=revision.revision,
                fields=",".join(revision.fields),
                reason_ct=seal(context + ":reason", revision.reason),
                before_ct=seal(context + ":before", json.dumps(dict(revision.before))),
                by_sub=revision.by_sub,
                by_unit=revision.by_unit,
                at=revision.at,
            )
        )

    async def revisions(self, case_id: str) -> list[Revision]:
        query = (
            select(case_revisions)
            .where(case_revisions.c.case_id == case_id)
            .order_by(case_revisions.c.revision)
        )
        found, rows = [], list(await self._session.execute(query))
        await self._keys.load(blob for row in rows for blob in (row.reason_ct, row.before_ct))
        for row in rows:
            context = f"case_revisions:{case_id}/{row.revision}"
            found.append(
                Revision(
                    case_id=case_id,
                    revision=row.revision,
                    fields=tuple(row.fields.split(",")) if row.fields else (),
                    reason=self._keys.decrypt(row.reason_ct, context=context + ":reason"),
                    by_sub=row.by_sub,
                    by_unit=row.by_unit,
                    at=row.at,
                    before=json.loads(
                        self._keys.decrypt(row.before_ct, context=context + ":before")
                    ),
                )
            )
        return found

    async def add_triage(self, case_id: str, triage: Triage) -> None:
        query = select(func.coalesce(func.max(case_triages.c.number), 0))
        latest = await self._session.scalar(query.where(case_triages.c.case_id == case_id))
        number = int(latest or 0) + 1
        reason = triage.reason
        seal = await self._sealer(case_id)
        await self._session.execute(
            insert(case_triages).values(
                case_id=case_id,
                number=number,
                decision=triage.decision.value,
                reason_ct=None
                if reason is None
                else seal(f"case_triages:{case_id}/{number}", reason),
                at=triage.at,
                by_sub=triage.by_sub,
                corrects=triage.corrects,
            )
        )

    async def triages(self, case_id: str) -> list[Triage]:
        query = (
            select(case_triages)
            .where(case_triages.c.case_id == case_id)
            .order_by(case_triages.c.number)
        )
        rows = list(await self._session.execute(query))
        await self._keys.load(row.reason_ct for row in rows)
        return [
            Triage(
                decision=TriageDecision(row.decision),
                reason=None
                if row.reason_ct is None
                else self._keys.decrypt(
                    row.reason_ct, context=f"case_triages:{case_id}/{row.number}"
                ),
                at=row.at,
                by_sub=row.by_sub,
                corrects=row.corrects,
            )
            for row in rows
        ]

    async def add_list_entries(
        self, document_id: str, version: int, case_ids: Collection[str]
    ) -> None:
        """Which cases a list version holds (ids only: the content lies in the journal)."""
        if case_ids:
            await self._session.execute(
                insert(list_entries),
                [{"document_id": document_id, "version": version, "case_id": c} for c in case_ids],
            )

    async def listings(self, case_ids: Collection[str]) -> dict[str, list[tuple[str, int]]]:
        """For each case, the meetings whose latest list version holds it, with that version."""
        latest = (
            select(
                document_versions.c.document_id, func.max(document_versions.c.version).label("v")
            )
            .group_by(document_versions.c.document_id)
            .subquery()
        )
        found: dict[str, list[tuple[str, int]]] = {case_id: [] for case_id in case_ids}
        ids = list(found)
        for start in range(0, len(ids), _IDS_PER_QUERY):
            query = (
                select(list_entries.c.case_id, documents.c.meeting_id, list_entries.c.version)
                .join(latest, (latest.c.document_id == list_entries.c.document_id))
                .join(documents, documents.c.id == list_entries.c.document_id)
                .where(
                    list_entries.c.version == latest.c.v,
                    list_entries.c.case_id.in_(ids[start : start + _IDS_PER_QUERY]),
                )
                .order_by(documents.c.meeting_id)
            )
            for row in await self._session.execute(query):
                found[row.case_id].append((row.meeting_id, row.version))
        return found
