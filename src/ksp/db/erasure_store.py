"""Finding what is due for erasure, and erasing it: personal fields blanked, access-log lines
deleted, journal entries marked erased (their data keys are destroyed by the key store; an
entry sealed before data keys has its ciphertext emptied instead).

Guarded tables (db/guards.py) accept these changes only inside a transaction that holds a
row of ``erasure_in_progress`` (migration 0015): :meth:`SqlErasureStore.erase_rows` and
:meth:`SqlErasureStore.delete_access_log` open that door and close it again before they
return, so the door is never committed and never seen by another transaction.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator, Collection
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ksp.crypto import KeyedHasher
from ksp.db.data_key_store import SqlDataKeyStore, journal_owner, request_owner, row_owner
from ksp.db.tables import (
    access_log,
    access_log_subjects,
    action_statuses,
    actions,
    case_revisions,
    case_triages,
    cases,
    circulations,
    data_keys,
    document_versions,
    documents,
    erased_entries,
    erasure_in_progress,
    erasure_requests,
    exchange_records,
    exchanges,
    inquiries,
    inquiry_decisions,
    journal_entries,
    list_entries,
    meetings,
    outbox,
    outcomes,
)
from ksp.domain.circulation import DeliveryStatus
from ksp.domain.cpr import Cpr
from ksp.services.ports import ErasureRequest, Footprint

__all__ = ["ERASED", "SqlErasureStore", "SqlKeyEraser", "erasure_door"]

ERASED = b""
"""What an erased ``*_ct`` column holds: nothing at all."""

_NOT_ERASED_ENTRY = (
    ~select(erased_entries.c.seq)
    .where(erased_entries.c.seq == document_versions.c.journal_seq)
    .exists()
)


@asynccontextmanager
async def erasure_door(session: AsyncSession) -> AsyncIterator[None]:
    """The guarded tables take changes while this lasts, in ``session``'s transaction only:
    an erasure's blanking, or ``ksp keys migrate`` resealing a field under its data key."""
    door = str(uuid.uuid4())
    await session.execute(insert(erasure_in_progress).values(id=door))
    try:
        yield
    finally:
        await session.execute(delete(erasure_in_progress).where(erasure_in_progress.c.id == door))


def _random_hash() -> bytes:
    """A look-up hash no CPR number has: the row is found by no search any more."""
    return os.urandom(32)


class SqlErasureStore:
    def __init__(self, session: AsyncSession, keys: SqlDataKeyStore, hasher: KeyedHasher) -> None:
        self._session = session
        self._keys = keys
        self._hasher = hasher

    async def _seqs(self, query: object) -> list[int]:
        return [int(seq) for seq in (await self._session.execute(query)).scalars()]  # type: ignore[call-overload]

    async def due_versions(self, kind: str, before: dt.datetime, limit: int) -> Footprint:
        """The versions of ``kind`` ("list", "minutes") of meetings held before ``before``,
        not yet erased, oldest first."""
        query = (
            select(
                document_versions.c.journal_seq,
                document_versions.c.document_id,
                document_versions.c.version,
            )
            .join(documents, documents.c.id == document_versions.c.document_id)
            .join(meetings, meetings.c.id == documents.c.meeting_id)
            .where(documents.c.kind == kind, meetings.c.scheduled_for < before, _NOT_ERASED_ENTRY)
            .order_by(document_versions.c.journal_seq)
            .limit(limit)
        )
        rows = (await self._session.execute(query)).all()
        return Footprint(
            entries=tuple(int(r.journal_seq) for r in rows),
            rows=tuple(("document_versions", f"{r.document_id}/{r.version}") for r in rows),
        )

    async def _ids(self, query: Any) -> list[str]:
        return [str(i) for i in (await self._session.execute(query)).scalars()]

    async def due_rows(self, table: str, before: dt.datetime, limit: int) -> Footprint:
        """Cases (by submission), exchanges, inquiries or outcomes (by creation) before
        ``before`` whose fields are not yet erased, with the journal entries that hold their
        content."""
        rows = {
            "cases": cases,
            "exchanges": exchanges,
            "inquiries": inquiries,
            "outcomes": outcomes,
        }[table]
        since = rows.c.submitted_at if table == "cases" else rows.c.created_at
        kept = (  # an outcome is erased when its summary is
            rows.c.summary_ct != ERASED if table == "outcomes" else rows.c.erased_at.is_(None)
        )
        ids = await self._ids(
            select(rows.c.id).where(since < before, kept).order_by(since, rows.c.id).limit(limit)
        )
        if table == "outcomes":
            return await self._outcomes(ids)
        if table == "exchanges":
            return await self._exchanges(ids)
        if table == "inquiries":
            return await self._inquiries(ids)
        return Footprint(rows=tuple(("cases", i) for i in ids))

    async def _exchanges(self, ids: Collection[str]) -> Footprint:
        if not ids:
            return Footprint()
        own = select(exchanges.c.journal_seq).where(exchanges.c.id.in_(ids))
        records = select(exchange_records.c.journal_seq).where(
            exchange_records.c.exchange_id.in_(ids)
        )
        seqs = await self._seqs(own) + await self._seqs(records)
        return Footprint(tuple(sorted(seqs)), tuple(("exchanges", i) for i in ids))

    async def _outcomes(self, ids: Collection[str]) -> Footprint:
        if not ids:
            return Footprint()
        own = select(outcomes.c.journal_seq).where(outcomes.c.id.in_(ids))
        statuses = (
            select(action_statuses.c.journal_seq)
            .join(actions, actions.c.id == action_statuses.c.action_id)
            .where(actions.c.outcome_id.in_(ids))
        )
        seqs = await self._seqs(own) + await self._seqs(statuses)
        return Footprint(tuple(sorted(seqs)), tuple(("outcomes", i) for i in ids))

    async def _inquiries(self, ids: Collection[str]) -> Footprint:
        if not ids:
            return Footprint()
        decided = select(inquiry_decisions.c.journal_seq).where(
            inquiry_decisions.c.inquiry_id.in_(ids)
        )
        return Footprint(
            tuple(sorted(await self._seqs(decided))), tuple(("inquiries", i) for i in ids)
        )

    async def of_person(self, cpr_hash: bytes, kif_unit: str) -> Footprint:
        """Everything of one person in ``kif_unit``'s keeping: their cases and inquiries, the
        cases' exchanges and outcomes (with their actions), and every list version naming a
        case and minutes version recording an outcome of it."""
        case_ids, inquiry_ids = [
            await self._ids(
                select(rows.c.id).where(
                    rows.c.cpr_hash == cpr_hash,
                    rows.c.kif_unit == kif_unit,
                    rows.c.erased_at.is_(None),
                )
            )
            for rows in (cases, inquiries)
        ]
        found = Footprint(rows=tuple(("cases", i) for i in case_ids))
        found += await self._inquiries(inquiry_ids)
        if not case_ids:
            return found
        exchange_ids = await self._ids(
            select(exchanges.c.id).where(
                exchanges.c.case_id.in_(case_ids), exchanges.c.erased_at.is_(None)
            )
        )
        found += await self._exchanges(exchange_ids)
        outcome_rows = (
            await self._session.execute(
                select(outcomes.c.id, outcomes.c.journal_seq, outcomes.c.meeting_id).where(
                    outcomes.c.case_id.in_(case_ids)
                )
            )
        ).all()
        status_seqs = await self._seqs(
            select(action_statuses.c.journal_seq)
            .join(actions, actions.c.id == action_statuses.c.action_id)
            .where(actions.c.case_id.in_(case_ids))
        )
        versions = document_versions.c
        named = select(versions.journal_seq, versions.document_id, versions.version)
        listed = named.join(
            list_entries,
            (list_entries.c.document_id == versions.document_id)
            & (list_entries.c.version == versions.version),
        ).where(list_entries.c.case_id.in_(case_ids))
        minutes = named.join(documents, documents.c.id == versions.document_id).where(
            documents.c.kind == "minutes",
            documents.c.meeting_id.in_({r.meeting_id for r in outcome_rows}),
        )
        version_rows = {
            (int(r.journal_seq), f"{r.document_id}/{r.version}")
            for query in (listed, minutes)
            for r in (await self._session.execute(query.where(_NOT_ERASED_ENTRY))).all()
        }
        entries = {r.journal_seq for r in outcome_rows} | {*status_seqs}
        entries |= {seq for seq, _ in version_rows}
        return found + Footprint(
            tuple(sorted(int(s) for s in entries)),
            (
                *(("document_versions", name) for _, name in sorted(version_rows)),
                *(("outcomes", r.id) for r in outcome_rows),
            ),
        )

    async def mark_erased(self, seqs: Collection[int], erasure_seq: int, at: dt.datetime) -> None:
        already = set(
            await self._seqs(select(erased_entries.c.seq).where(erased_entries.c.seq.in_(seqs)))
        )
        rows = [
            {"seq": seq, "erasure_seq": erasure_seq, "erased_at": at}
            for seq in seqs
            if seq not in already
        ]
        if rows:
            await self._session.execute(insert(erased_entries), rows)
        await self._empty_sealed_before_data_keys(seqs)

    async def _empty_sealed_before_data_keys(self, seqs: Collection[int]) -> None:
        """Empty the content of the entries among ``seqs`` that were sealed under
        ``KSP_DATA_KEYS`` (no data key of their own, so none to destroy): their header keeps
        the ciphertext's SHA-256, which is all the verifier needs (migration 0020)."""
        if not seqs:
            return
        owners = {journal_owner(seq): seq for seq in seqs}
        keyed = select(data_keys.c.owner).where(data_keys.c.owner.in_(owners))
        sealed_before = set(owners.values()) - {
            owners[owner] for owner in (await self._session.execute(keyed)).scalars()
        }
        if not sealed_before:
            return
        async with self._door():
            await self._session.execute(
                update(journal_entries)
                .where(journal_entries.c.seq.in_(sealed_before))
                .where(func.length(journal_entries.c.content) > 0)
                .values(content=ERASED)
            )

    def _door(self) -> AbstractAsyncContextManager[None]:
        return erasure_door(self._session)

    async def erase_rows(self, rows: Collection[tuple[str, str]], at: dt.datetime) -> None:
        """Blank the personal fields of the rows named; a document version's row keeps its
        place, its reason and its plain SHA-256 blanked (the content is its journal entry)."""
        by_table: dict[str, list[str]] = {}
        for table, row_id in rows:
            by_table.setdefault(table, []).append(row_id)
        async with self._door():
            for name in by_table.get("document_versions", []):
                document_id, _, version = name.rpartition("/")
                await self._erase_version(document_id, int(version))
            for case_id in by_table.get("cases", []):
                await self._erase_case(case_id, at)
            if ids := by_table.get("exchanges"):
                await self._session.execute(
                    update(exchanges)
                    .where(exchanges.c.id.in_(ids))
                    .values(summary_ct=ERASED, erased_at=at)
                )
                await self._session.execute(
                    update(exchange_records)
                    .where(exchange_records.c.exchange_id.in_(ids))
                    .values(content_ct=ERASED)
                )
            if ids := by_table.get("inquiries"):
                for inquiry_id in ids:
                    await self._session.execute(
                        update(inquiries)
                        .where(inquiries.c.id == inquiry_id)
                        .values(cpr_ct=ERASED, cpr_hash=_random_hash(), erased_at=at)
                    )
                await self._session.execute(
                    update(inquiry_decisions)
                    .where(inquiry_decisions.c.inquiry_id.in_(ids))
                    .values(justification_ct=None)
                )
            if ids := by_table.get("outcomes"):
                await self._session.execute(
                    update(outcomes).where(outcomes.c.id.in_(ids)).values(summary_ct=ERASED)
                )
                action_ids = select(actions.c.id).where(actions.c.outcome_id.in_(ids))
                await self._session.execute(
                    update(action_statuses)
                    .where(action_statuses.c.action_id.in_(action_ids))
                    .values(note_ct=None)
                )
                await self._session.execute(
                    update(actions)
                    .where(actions.c.outcome_id.in_(ids))
                    .values(description_ct=ERASED)
                )

    async def _erase_version(self, document_id: str, version: int) -> None:
        """A version's row keeps its place; its reason and plain SHA-256 are blanked. Its
        circulations' messages (OpenPGP, for the recipients) are dropped from the outbox,
        and one not yet sent is not sent; a reason for sending it again is blanked."""
        await self._session.execute(
            update(document_versions)
            .where(
                document_versions.c.document_id == document_id,
                document_versions.c.version == version,
            )
            .values(sha256="", reason_ct=ERASED)
        )
        circulated = select(circulations.c.id).where(
            circulations.c.document_id == document_id, circulations.c.version == version
        )
        await self._session.execute(
            update(outbox)
            .where(
                outbox.c.circulation_id.in_(circulated),
                outbox.c.status.in_([DeliveryStatus.QUEUED.value, DeliveryStatus.RETRYING.value]),
            )
            .values(status=DeliveryStatus.FAILED.value, last_error="erased before delivery")
        )
        await self._session.execute(
            update(outbox).where(outbox.c.circulation_id.in_(circulated)).values(message=ERASED)
        )
        await self._session.execute(
            update(circulations)
            .where(circulations.c.id.in_(circulated))
            .values(again_reason_ct=None)
        )

    async def _erase_case(self, case_id: str, at: dt.datetime) -> None:
        await self._session.execute(
            update(cases)
            .where(cases.c.id == case_id)
            .values(
                name_ct=ERASED,
                cpr_ct=ERASED,
                concern_ct=ERASED,
                triage_reason_ct=None,
                cpr_hash=_random_hash(),
                erased_at=at,
            )
        )
        await self._session.execute(
            delete(case_revisions).where(case_revisions.c.case_id == case_id)
        )
        await self._session.execute(
            update(case_triages).where(case_triages.c.case_id == case_id).values(reason_ct=None)
        )

    async def forget_subject(self, cpr_hash: bytes) -> int:
        """The access log no longer links any line to the person (the lines stay)."""
        async with self._door():
            result = await self._session.execute(
                delete(access_log_subjects).where(access_log_subjects.c.cpr_hash == cpr_hash)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete_access_log(self, before: dt.datetime, limit: int) -> int:
        """Delete up to ``limit`` of the oldest access-log lines written before ``before``."""
        ids = [
            int(i)
            for i in await self._ids(
                select(access_log.c.id)
                .where(access_log.c.at < before)
                .order_by(access_log.c.id)
                .limit(limit)
            )
        ]
        if not ids:
            return 0
        async with self._door():
            await self._session.execute(
                delete(access_log_subjects).where(access_log_subjects.c.access_log_id.in_(ids))
            )
            await self._session.execute(delete(access_log).where(access_log.c.id.in_(ids)))
        return len(ids)

    async def add_request(self, request: ErasureRequest, cpr: Cpr) -> bytes:
        cpr_hash = self._hasher.cpr(cpr.digits)
        await self._session.execute(
            insert(erasure_requests).values(
                id=request.id,
                kif_unit=request.kif_unit,
                cpr_hash=cpr_hash,
                reason_ct=await self._keys.encrypt_new(
                    request_owner(request.id),
                    request.reason,
                    context=f"erasure_requests.reason:{request.id}",
                ),
                requested_at=request.requested_at,
                requested_by_sub=request.requested_by_sub,
            )
        )
        return cpr_hash

    async def request(self, request_id: str) -> tuple[ErasureRequest, bytes | None] | None:
        row = (
            await self._session.execute(
                select(erasure_requests).where(erasure_requests.c.id == request_id)
            )
        ).first()
        if row is None:
            return None
        await self._keys.load([row.reason_ct])
        request = ErasureRequest(
            id=row.id,
            kif_unit=row.kif_unit,
            reason=self._keys.read(row.reason_ct, context=f"erasure_requests.reason:{row.id}"),
            requested_at=row.requested_at,
            requested_by_sub=row.requested_by_sub,
            countersigned_at=row.countersigned_at,
            countersigned_by_sub=row.countersigned_by_sub,
            erasure_seq=row.erasure_seq,
        )
        return request, None if row.cpr_hash is None else bytes(row.cpr_hash)

    async def countersign(self, request: ErasureRequest) -> bool:
        """Record the countersignature and forget the CPR's hash; False if someone else
        countersigned first."""
        result = await self._session.execute(
            update(erasure_requests)
            .where(
                erasure_requests.c.id == request.id,
                erasure_requests.c.countersigned_at.is_(None),
            )
            .values(
                countersigned_at=request.countersigned_at,
                countersigned_by_sub=request.countersigned_by_sub,
                erasure_seq=request.erasure_seq,
                cpr_hash=None,
            )
        )
        return bool(getattr(result, "rowcount", 0) == 1)


class SqlKeyEraser:
    """The DataKeyEraser port over the data-key store: an entry's data key, or the data key
    of a row an erasure names (a case, exchange, outcome, inquiry or document version),
    destroyed in the unit of work's transaction (``ksp.db.data_key_store``)."""

    def __init__(self, keys: SqlDataKeyStore) -> None:
        self._keys = keys

    async def destroy_for_entry(self, seq: int, at: dt.datetime) -> None:
        await self._keys.destroy_owner(journal_owner(seq), at=at)

    async def destroy_for_row(self, table: str, row_id: str, at: dt.datetime) -> None:
        owner = row_owner(table, row_id)
        if owner is not None:
            await self._keys.destroy_owner(owner, at=at)
