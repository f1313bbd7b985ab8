"""The stores: SQL in, domain objects out. Personal data is encrypted here on its way in;
a case's personal fields under the case's own data key (owner ``case:<id>``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, literal, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ksp.crypto import KeyedHasher
from ksp.db.data_key_store import KEY_COLUMNS, SqlDataKeyStore, case_owner
from ksp.db.tables import access_log, access_log_subjects, cases, data_keys, idempotency_keys
from ksp.domain.access import CaseScope, Principal, purpose_of
from ksp.domain.audit import AccessRecord
from ksp.domain.cases import Case, CaseStatus, Custody, Submitter, Triage, TriageDecision
from ksp.domain.cpr import Cpr
from ksp.observability import current_request_id
from ksp.services.ports import DuplicateKey, Page, StoredResult, TimeRange

__all__ = ["SqlAccessLogStore", "SqlCaseStore", "SqlIdempotencyStore", "in_scope"]


_IDS_PER_QUERY = 500  # well under SQLite's 999 bound parameters of old builds
_SEALED = ("name_ct", "cpr_ct", "concern_ct", "triage_reason_ct")
_INSERT_CASE = insert(cases)
# Cases with their data key's row joined in: reading a case costs no query more.
_SELECT_CASES = select(cases, *KEY_COLUMNS).select_from(
    cases.outerjoin(data_keys, data_keys.c.owner == literal("case:") + cases.c.id)
)  # built once: building a 20-column statement per call costs
_KEPT = cases.c.erased_at.is_(None)  # an erased case (retention, decision) is not found


def in_scope(scope: CaseScope) -> ColumnElement[bool]:
    """The SQL form of :meth:`CaseScope.covers`: by KiF unit, or by submitting role and unit."""
    if scope.kif_unit is not None:
        return cases.c.kif_unit == scope.kif_unit
    return and_(
        cases.c.submitted_by_unit == scope.submitted_by_unit,
        cases.c.submitted_by_role == scope.submitted_by_role,
    )


class SqlCaseStore:
    def __init__(self, session: AsyncSession, keys: SqlDataKeyStore, hasher: KeyedHasher) -> None:
        self._session = session
        self._keys = keys
        self._hasher = hasher

    def _seal(self, key_id: str, case_id: str, column: str, text: str) -> bytes:
        return self._keys.encrypt(key_id, text, context=f"cases.{column}:{case_id}")

    def _open(self, case_id: str, column: str, blob: bytes) -> str:
        return self._keys.decrypt(blob, context=f"cases.{column}:{case_id}")

    async def _cases(self, rows: Any) -> list[Case]:
        """The cases of ``rows``, their data keys fetched in one query."""
        found = [row._mapping for row in rows]
        for row in found:
            self._keys.offer(row)
        unkeyed = [row for row in found if row["dk_key_id"] is None]  # written before keys
        await self._keys.load(row[column] for row in unkeyed for column in _SEALED)
        return [self._case(row) for row in found]

    def _row(self, case: Case, key_id: str) -> dict[str, Any]:
        return {
            "id": case.id,
            "submitted_at": case.submitted_at,
            "submitted_by_sub": case.submitted_by.sub,
            "submitted_by_role": case.submitted_by.role,
            "submitted_by_unit": case.submitted_by.unit,
            "kif_unit": case.kif_unit,
            "status": case.status.value,
            "custody": case.custody.value,
            "radicalisation_concern": case.radicalisation_concern,
            "security_notified_on": case.security_notified_on,
            "municipality_code": case.municipality_code,
            "police_district": case.police_district,
            "detained_since": case.detained_since,
            "released_on": case.released_on,
            "urgent": case.urgent,
            "meeting_id": case.meeting_id,
            "name_ct": self._seal(key_id, case.id, "name", case.name),
            "cpr_ct": self._seal(key_id, case.id, "cpr", case.cpr.digits),
            "concern_ct": self._seal(key_id, case.id, "concern", case.concern),
            "cpr_hash": self._hasher.cpr(case.cpr.digits),
        }

    async def add(self, case: Case) -> None:
        key_id = await self._keys.create(case_owner(case.id))
        await self._session.execute(_INSERT_CASE, self._row(case, key_id))

    async def get(self, case_id: str) -> Case | None:
        found = await self._cases(
            await self._session.execute(_SELECT_CASES.where(cases.c.id == case_id, _KEPT))
        )
        return found[0] if found else None

    async def get_many(
        self, case_ids: Collection[str], *, per_query: int = _IDS_PER_QUERY
    ) -> dict[str, Case]:
        """The cases that exist among ``case_ids``, by id: one query per ``per_query`` ids
        rather than one per case."""
        ids, found = list(dict.fromkeys(case_ids)), {}
        for start in range(0, len(ids), per_query):
            chunk = ids[start : start + per_query]
            rows = await self._session.execute(_SELECT_CASES.where(cases.c.id.in_(chunk), _KEPT))
            found.update({case.id: case for case in await self._cases(rows)})
        return found

    async def find(
        self,
        scope: CaseScope,
        page: Page,
        *,
        status: CaseStatus | None = None,
        meeting_id: str | None = None,
    ) -> list[Case]:
        query = _SELECT_CASES.where(in_scope(scope), _KEPT)
        if status is not None:
            query = query.where(cases.c.status == status.value)
        if meeting_id is not None:
            query = query.where(cases.c.meeting_id == meeting_id)
        query = query.order_by(cases.c.submitted_at, cases.c.id).limit(page.limit)
        rows = await self._session.execute(query.offset(page.offset))
        return await self._cases(rows)

    async def save_triage(self, case: Case, previous: Triage | None) -> bool:
        """Record a triage over the one the caller saw (``previous``: none, for a case still
        ``submitted``); False if a concurrent triage won."""
        assert case.triage is not None
        reason = case.triage.reason
        key_id = await self._keys.for_owner(case_owner(case.id))
        seen = (
            cases.c.triaged_at.is_(None) if previous is None else cases.c.triaged_at == previous.at
        )
        result = await self._session.execute(
            update(cases)
            .where(cases.c.id == case.id, seen, cases.c.status != CaseStatus.WITHDRAWN.value)
            .values(
                status=case.status.value,
                triage_decision=case.triage.decision.value,
                triaged_at=case.triage.at,
                triaged_by_sub=case.triage.by_sub,
                triage_reason_ct=None
                if reason is None
                else self._seal(key_id, case.id, "triage", reason),
            )
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def save_facts(self, case: Case) -> None:
        """A corrected case's facts (its personal data encrypted anew)."""
        values = self._row(case, await self._keys.for_owner(case_owner(case.id)))
        for fixed in ("id", "submitted_at", "status", "kif_unit", "meeting_id"):
            values.pop(fixed)
        values = {k: v for k, v in values.items() if not k.startswith("submitted_by")}
        await self._session.execute(update(cases).where(cases.c.id == case.id).values(values))

    async def set_status(
        self,
        case_ids: Collection[str],
        status: CaseStatus,
        *,
        where: Collection[CaseStatus],
        meeting_id: str | None,
    ) -> None:
        """Move the cases that are in one of ``where`` to ``status`` (and ``meeting_id``)."""
        for start in range(0, len(case_ids), _IDS_PER_QUERY):
            chunk = list(case_ids)[start : start + _IDS_PER_QUERY]
            await self._session.execute(
                update(cases)
                .where(cases.c.id.in_(chunk), cases.c.status.in_([s.value for s in where]))
                .values(status=status.value, meeting_id=meeting_id)
            )

    async def with_cpr(self, cpr: Cpr, kif_unit: str) -> list[Case]:
        """The person's cases routed to ``kif_unit`` (found by the keyed hash), oldest first."""
        query = _SELECT_CASES.where(
            cases.c.cpr_hash == self._hasher.cpr(cpr.digits), cases.c.kif_unit == kif_unit, _KEPT
        ).order_by(cases.c.submitted_at, cases.c.id)
        return await self._cases(await self._session.execute(query))

    def _case(self, row: RowMapping) -> Case:
        case_id: str = row["id"]
        triage = None
        if row["triaged_at"] is not None:
            blob = row["triage_reason_ct"]
            triage = Triage(
                decision=TriageDecision(row["triage_decision"] or row["status"]),
                reason=None if blob is None else self._open(case_id, "triage", blob),
                at=row["triaged_at"],
                by_sub=row["triaged_by_sub"],
            )
        return Case(
            id=case_id,
            submitted_at=row["submitted_at"],
            submitted_by=Submitter(
                row["submitted_by_sub"], row["submitted_by_role"], row["submitted_by_unit"]
            ),
            name=self._open(case_id, "name", row["name_ct"]),
            cpr=Cpr(self._open(case_id, "cpr", row["cpr_ct"])),
            custody=Custody(row["custody"]),
            radicalisation_concern=row["radicalisation_concern"],
            security_notified_on=row["security_notified_on"],
            concern=self._open(case_id, "concern", row["concern_ct"]),
            municipality_code=row["municipality_code"],
            police_district=row["police_district"],
            kif_unit=row["kif_unit"],
            detained_since=row["detained_since"],
            released_on=row["released_on"],
            urgent=row["urgent"],
            meeting_id=row["meeting_id"],
            status=CaseStatus(row["status"]),
            triage=triage,
        )


class SqlIdempotencyStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, sub: str, unit: str, key: str) -> StoredResult | None:
        table = idempotency_keys
        query = select(table.c.request_digest, table.c.response).where(
            table.c.sub == sub, table.c.unit == unit, table.c.key == key
        )
        row = (await self._session.execute(query)).first()
        return None if row is None else StoredResult(row.request_digest, row.response)

    async def add(
        self, sub: str, unit: str, key: str, stored: StoredResult, at: dt.datetime
    ) -> None:
        statement = insert(idempotency_keys).values(
            sub=sub,
            unit=unit,
            key=key,
            request_digest=stored.request_digest,
            response=stored.result,
            created_at=at,
        )
        try:
            await self._session.execute(statement)
        except IntegrityError:
            raise DuplicateKey from None


class SqlAccessLogStore:
    def __init__(self, session: AsyncSession, hasher: KeyedHasher) -> None:
        self._session = session
        self._hasher = hasher

    async def record(
        self,
        principal: Principal,
        *,
        resource: str,
        resource_id: str | None,
        subjects: Sequence[Cpr],
        at: dt.datetime,
    ) -> None:
        result = await self._session.execute(
            insert(access_log)
            .values(
                at=at,
                sub=principal.sub,
                role=principal.role.value,
                unit=principal.unit,
                resource=resource,
                resource_id=resource_id,
                subject_count=len(subjects),
                request_id=current_request_id(),
                purpose=purpose_of(principal).value,
            )
            .returning(access_log.c.id)
        )
        log_id = result.scalar_one()
        hashes = {self._hasher.cpr(cpr.digits) for cpr in subjects}
        if hashes:
            await self._session.execute(
                insert(access_log_subjects),
                [{"access_log_id": log_id, "cpr_hash": digest} for digest in sorted(hashes)],
            )

    async def find(
        self, period: TimeRange, page: Page, *, subject: Cpr | None = None
    ) -> list[AccessRecord]:
        query: Any = select(access_log)
        if subject is not None:
            reads = select(access_log_subjects.c.access_log_id).where(
                access_log_subjects.c.cpr_hash == self._hasher.cpr(subject.digits)
            )
            query = query.where(access_log.c.id.in_(reads))
        if period.since is not None:
            query = query.where(access_log.c.at >= period.since)
        if period.until is not None:
            query = query.where(access_log.c.at < period.until)
        query = query.order_by(access_log.c.id).limit(page.limit).offset(page.offset)
        rows = await self._session.execute(query)
        return [AccessRecord(**row._mapping) for row in rows]
