"""Use cases for cases: submit, list, read, triage. One unit of work per call."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass

from ksp.domain.access import Principal, case_scope
from ksp.domain.cases import (
    Case,
    CaseDraft,
    CaseStatus,
    Submitter,
    Triage,
    TriageDecision,
    parse_case,
    triage,
)
from ksp.domain.cpr import InvalidCpr, parse_cpr
from ksp.domain.errors import (
    FieldError,
    IdempotencyKeyReused,
    InvalidInput,
    InvalidStatusTransition,
    NotFound,
)
from ksp.domain.reference import shipped_unit_table
from ksp.services.ports import (
    Clock,
    DuplicateKey,
    Page,
    StoredResult,
    UnitOfWork,
    UnitOfWorkFactory,
)
from ksp.services.proposals import check_meeting

__all__ = ["CaseService", "CaseView", "IdempotencyRequest", "Submitted", "visible_case"]


@dataclass(frozen=True, slots=True)
class IdempotencyRequest:
    """An ``Idempotency-Key`` and a keyed digest of the request it came with."""

    key: str
    digest: bytes


@dataclass(frozen=True, slots=True)
class Submitted:
    case_id: str
    status: CaseStatus
    replayed: bool = False
    possible_duplicates: tuple[str, ...] = ()

    def encode(self) -> bytes:
        return json.dumps(
            {
                "id": self.case_id,
                "status": self.status.value,
                "possible_duplicates": list(self.possible_duplicates),
            }
        ).encode()

    @classmethod
    def decode(cls, stored: bytes) -> Submitted:
        data = json.loads(stored)
        return cls(
            case_id=data["id"],
            status=CaseStatus(data["status"]),
            replayed=True,
            possible_duplicates=tuple(data.get("possible_duplicates", ())),
        )


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case with what happened to it: its triage decisions, its current revision, and the
    meetings whose latest list version holds it (with that version)."""

    case: Case
    triage_history: tuple[Triage, ...]
    revision: int
    meetings: tuple[tuple[str, int], ...]


async def visible_case(uow: UnitOfWork, principal: Principal, case_id: str) -> Case:
    """The case, if the caller's unit may see it; otherwise NotFound (existence does not
    leak)."""
    case = await uow.cases.get(case_id)
    if case is None or not case.visible_in(case_scope(principal)):
        raise NotFound
    return case


class CaseService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        *,
        kif_units: Collection[str] | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._new_id = new_id
        self._kif_units = shipped_unit_table().kif_units() if kif_units is None else kif_units

    async def submit(
        self, principal: Principal, draft: CaseDraft, idempotency: IdempotencyRequest | None
    ) -> Submitted:
        """Check the rules and store the case; a repeated Idempotency-Key replays the first.
        Open cases of the same person in the same KiF unit that the caller may see are named
        as possible duplicates."""
        if idempotency is not None:
            replay = await self._replay(principal, idempotency)
            if replay is not None:
                return replay
        now = self._clock.now()
        submitter = Submitter(principal.sub, principal.role.value, principal.unit)
        case = parse_case(
            draft, case_id=self._new_id(), submitter=submitter, now=now, kif_units=self._kif_units
        )
        try:
            async with self._uow() as uow:
                await check_meeting(uow, principal, draft)
                duplicates = await _duplicates(uow, principal, case, now)
                result = Submitted(case.id, case.status, possible_duplicates=duplicates)
                if idempotency is not None:
                    stored = StoredResult(idempotency.digest, result.encode())
                    await uow.idempotency.add(
                        principal.sub, principal.unit, idempotency.key, stored, now
                    )
                await uow.cases.add(case)
                await uow.commit()
        except DuplicateKey:
            assert idempotency is not None
            replay = await self._replay(principal, idempotency)
            assert replay is not None
            return replay
        return result

    async def _replay(
        self, principal: Principal, idempotency: IdempotencyRequest
    ) -> Submitted | None:
        async with self._uow() as uow:
            stored = await uow.idempotency.get(principal.sub, principal.unit, idempotency.key)
        if stored is None:
            return None
        if stored.request_digest != idempotency.digest:
            raise IdempotencyKeyReused
        return Submitted.decode(stored.result)

    async def find(
        self,
        principal: Principal,
        page: Page,
        *,
        status: CaseStatus | None = None,
        meeting_id: str | None = None,
    ) -> list[Case]:
        """The caller's cases; the read is logged with every subject it shows."""
        async with self._uow() as uow:
            found = await uow.cases.find(
                case_scope(principal), page, status=status, meeting_id=meeting_id
            )
            await uow.access_log.record(
                principal,
                resource="cases",
                resource_id=None,
                subjects=[case.cpr for case in found],
                at=self._clock.now(),
            )
            await uow.commit()
        return found

    async def get(self, principal: Principal, case_id: str) -> CaseView:
        """One case, if visible to the caller's unit (else NotFound); the read is logged."""
        async with self._uow() as uow:
            case = await visible_case(uow, principal, case_id)
            view = CaseView(
                case,
                tuple(await uow.case_history.triages(case.id)),
                await uow.case_history.next_revision(case.id) - 1,
                tuple((await uow.case_history.listings([case.id]))[case.id]),
            )
            await uow.access_log.record(
                principal,
                resource="case",
                resource_id=case.id,
                subjects=[case.cpr],
                at=self._clock.now(),
            )
            await uow.commit()
        return view

    async def search(self, principal: Principal, cpr_text: str) -> list[Case]:
        """KiF: the person's cases routed to the caller's unit. Every search is logged, with
        the person when it found any."""
        now = self._clock.now()
        try:
            cpr = parse_cpr(cpr_text, today=now.date())
        except InvalidCpr as exc:
            raise InvalidInput([FieldError("cpr", str(exc))]) from None
        async with self._uow() as uow:
            found = await uow.cases.with_cpr(cpr, principal.unit)
            await uow.access_log.record(
                principal,
                resource="case-search",
                resource_id=None,
                subjects=[cpr] if found else [],
                at=now,
            )
            await uow.commit()
        return found

    async def triage(
        self,
        principal: Principal,
        case_id: str,
        decision: TriageDecision,
        reason: str | None,
        *,
        corrects: bool = False,
    ) -> Case:
        """Guide 3.3.7: KiF routes a case to a meeting, to direct contact, or rejects it; a
        wrong decision is replaced only on purpose (``corrects``)."""
        now = self._clock.now()
        async with self._uow() as uow:
            case = await visible_case(uow, principal, case_id)
            decided = triage(
                case, decision, reason, by_sub=principal.sub, now=now, corrects=corrects
            )
            if not await uow.cases.save_triage(decided, case.triage):  # a concurrent one won
                raise InvalidStatusTransition
            assert decided.triage is not None
            await uow.case_history.add_triage(case.id, decided.triage)
            await uow.commit()
        return decided


async def _duplicates(
    uow: UnitOfWork, principal: Principal, case: Case, now: dt.datetime
) -> tuple[str, ...]:
    """Open cases of the same person in the same KiF unit, among those the caller may see
    (a jail learns nothing of another unit's cases); logged when there are any."""
    scope = case_scope(principal)
    same = await uow.cases.with_cpr(case.cpr, case.kif_unit)
    found = tuple(c.id for c in same if c.status not in _CLOSED and c.visible_in(scope))
    if found:
        await uow.access_log.record(
            principal, resource="case-duplicates", resource_id=case.id, subjects=[case.cpr], at=now
        )
    return found


_CLOSED = frozenset({CaseStatus.REJECTED, CaseStatus.WITHDRAWN})
