"""Everything the service holds about one person, found by the keyed CPR hash, for a
subject-access extract (``ksp.services.subject_access``). Erased rows are not held any more,
and are not shown; a list version whose content was erased is shown as erased."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ksp.crypto import KeyedHasher
from ksp.db.data_key_store import SqlDataKeyStore
from ksp.db.tables import (
    access_log,
    access_log_subjects,
    cases,
    circulations,
    document_versions,
    documents,
    erased_entries,
    exchanges,
    inquiries,
    inquiry_decisions,
    list_entries,
    meetings,
    outbox,
    recipients,
)
from ksp.domain.cpr import Cpr
from ksp.domain.subject_access import (
    Consultation,
    Disclosure,
    Holdings,
    Listing,
    SubjectCase,
    SubjectDecision,
    SubjectExchange,
    SubjectInquiry,
)

__all__ = ["SqlSubjectStore"]

_CASE_FACTS = (
    "id",
    "kif_unit",
    "submitted_at",
    "submitted_by_unit",
    "status",
    "custody",
    "municipality_code",
    "police_district",
    "detained_since",
    "released_on",
    "meeting_id",
)


class SqlSubjectStore:
    def __init__(self, session: AsyncSession, keys: SqlDataKeyStore, hasher: KeyedHasher) -> None:
        self._session = session
        self._keys = keys
        self._hasher = hasher

    def _open(self, blob: bytes, context: str) -> str:
        return self._keys.decrypt(bytes(blob), context=context)

    async def _rows(self, query: Any, *sealed: str) -> list[Any]:
        """The rows of ``query``, with the data keys of their ``sealed`` columns loaded."""
        rows = list((await self._session.execute(query)).all())
        await self._keys.load(r._mapping[c] for r in rows for c in sealed)
        return rows

    async def holdings(self, cpr: Cpr) -> Holdings:
        cpr_hash = self._hasher.cpr(cpr.digits)
        found = await self._cases(cpr_hash)
        case_ids = [c.id for c in found]
        listings = await self._listings(case_ids)
        return Holdings(
            cases=tuple(found),
            inquiries=tuple(await self._inquiries(cpr_hash)),
            exchanges=tuple(await self._exchanges(case_ids)),
            listings=tuple(listings),
            disclosures=tuple(await self._disclosures(listings)),
            consultations=tuple(await self._consultations(cpr_hash)),
        )

    async def _cases(self, cpr_hash: bytes) -> list[SubjectCase]:
        query = (
            select(cases)
            .where(cases.c.cpr_hash == cpr_hash, cases.c.erased_at.is_(None))
            .order_by(cases.c.submitted_at, cases.c.id)
        )
        return [
            SubjectCase(
                **{name: r._mapping[name] for name in _CASE_FACTS},
                submitted_by=r.submitted_by_sub,
                name=self._open(r.name_ct, f"cases.name:{r.id}"),
                cpr=Cpr(self._open(r.cpr_ct, f"cases.cpr:{r.id}")).formatted,
                concern=self._open(r.concern_ct, f"cases.concern:{r.id}"),
            )
            for r in await self._rows(query, "name_ct", "cpr_ct", "concern_ct")
        ]

    async def _inquiries(self, cpr_hash: bytes) -> list[SubjectInquiry]:
        rows = await self._rows(
            select(inquiries)
            .where(inquiries.c.cpr_hash == cpr_hash, inquiries.c.erased_at.is_(None))
            .order_by(inquiries.c.created_at, inquiries.c.id)
        )
        decided = await self._rows(
            select(inquiry_decisions)
            .where(inquiry_decisions.c.inquiry_id.in_([r.id for r in rows]))
            .order_by(inquiry_decisions.c.number),
            "justification_ct",
        )
        by_inquiry: dict[str, list[SubjectDecision]] = {}
        for d in decided:
            context = f"inquiry_decisions.justification:{d.inquiry_id}/{d.number}"
            why = None if d.justification_ct is None else self._open(d.justification_ct, context)
            by_inquiry.setdefault(d.inquiry_id, []).append(
                SubjectDecision(d.decided_at, d.eligible, why, d.decided_by_sub)
            )
        return [
            SubjectInquiry(
                r.id,
                r.kif_unit,
                r.from_agency,
                r.received_on,
                r.created_at,
                r.created_by_sub,
                tuple(by_inquiry.get(r.id, ())),
            )
            for r in rows
        ]

    async def _exchanges(self, case_ids: Collection[str]) -> list[SubjectExchange]:
        query = (
            select(exchanges)
            .where(exchanges.c.case_id.in_(list(case_ids)), exchanges.c.erased_at.is_(None))
            .order_by(exchanges.c.created_at, exchanges.c.id)
        )
        return [
            SubjectExchange(
                r.id,
                r.case_id,
                r.occurred_on,
                tuple(r.agencies.split(",")),
                self._open(r.summary_ct, f"exchanges.summary:{r.id}"),
                r.created_at,
                r.created_by_sub,
            )
            for r in await self._rows(query, "summary_ct")
        ]

    async def _listings(self, case_ids: Collection[str]) -> list[Listing]:
        versions = document_versions.c
        query = (
            select(
                versions.document_id,
                versions.version,
                documents.c.meeting_id,
                meetings.c.scheduled_for.label("meeting_at"),
                versions.created_at,
                erased_entries.c.seq.is_not(None).label("erased"),
            )
            .distinct()
            .join(
                list_entries,
                and_(
                    list_entries.c.document_id == versions.document_id,
                    list_entries.c.version == versions.version,
                ),
            )
            .join(documents, documents.c.id == versions.document_id)
            .join(meetings, meetings.c.id == documents.c.meeting_id)
            .outerjoin(erased_entries, erased_entries.c.seq == versions.journal_seq)
            .where(list_entries.c.case_id.in_(list(case_ids)))
            .order_by(versions.created_at, versions.version)
        )
        return [Listing(**r._mapping) for r in await self._rows(query)]

    async def _disclosures(self, listings: Collection[Listing]) -> list[Disclosure]:
        wanted = {(x.document_id, x.version) for x in listings}
        if not wanted:
            return []
        query = (
            select(
                circulations.c.created_at.label("at"),
                circulations.c.document_id,
                circulations.c.version,
                recipients.c.agency.label("receiving_agency"),
                recipients.c.unit.label("receiving_unit"),
                outbox.c.status,
                outbox.c.sent_at,
                recipients.c.name.label("recipient"),
                outbox.c.email.label("recipient_email"),
                circulations.c.created_by_sub.label("by"),
            )
            .join(outbox, outbox.c.circulation_id == circulations.c.id)
            .join(recipients, recipients.c.id == outbox.c.recipient_id)
            .where(circulations.c.document_id.in_({d for d, _ in wanted}))
            .order_by(circulations.c.created_at, outbox.c.email)
        )
        return [
            Disclosure(**r._mapping)
            for r in await self._rows(query)
            if (r.document_id, r.version) in wanted
        ]

    async def _consultations(self, cpr_hash: bytes) -> list[Consultation]:
        log = access_log.c
        query = (
            select(log.at, log.purpose, log.resource, log.role, log.unit, log.sub.label("by"))
            .join(access_log_subjects, access_log_subjects.c.access_log_id == log.id)
            .where(access_log_subjects.c.cpr_hash == cpr_hash)
            .order_by(log.at, log.id)
        )
        return [Consultation(**r._mapping) for r in await self._rows(query)]
