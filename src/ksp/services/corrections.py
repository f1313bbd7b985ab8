"""Use cases for putting a case right: correct its facts, withdraw it, read its revisions.

Only the unit that submitted it (as a jail) and the KiF unit it is routed to may; every
correction is a revision row that is never changed, and the read of revisions is logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ksp.domain.access import Principal, Role
from ksp.domain.cases import Case
from ksp.domain.corrections import Revision, correct, withdraw
from ksp.domain.errors import NotFound
from ksp.services.cases import visible_case
from ksp.services.ports import Clock, UnitOfWork, UnitOfWorkFactory

__all__ = ["CorrectionService"]


async def _correctable(uow: UnitOfWork, principal: Principal, case_id: str) -> Case:
    """The case, if the caller is its jail or its KiF unit (participants never: 404)."""
    case = await visible_case(uow, principal, case_id)
    if principal.role not in (Role.ARREST, Role.KIF):
        raise NotFound
    return case


class CorrectionService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def correct(
        self, principal: Principal, case_id: str, changes: Mapping[str, Any], reason: str
    ) -> tuple[Case, int]:
        """The corrected case and its revision number. Every rule is checked again on the
        merged case; list versions already written keep what they hold."""
        now = self._clock.now()
        async with self._uow() as uow:
            case = await _correctable(uow, principal, case_id)
            corrected, before = correct(case, changes, reason.strip(), now=now)
            number = await self._revise(uow, principal, case, tuple(before), reason, before)
            await uow.cases.save_facts(corrected)
            await uow.commit()
        return corrected, number

    async def withdraw(self, principal: Principal, case_id: str, reason: str) -> tuple[Case, int]:
        """The case is withdrawn: it joins no list any more (versions written keep it)."""
        async with self._uow() as uow:
            case = await _correctable(uow, principal, case_id)
            withdrawn = withdraw(case, reason.strip())
            number = await self._revise(
                uow, principal, case, ("status",), reason, {"status": case.status}
            )
            await uow.cases.set_status(
                [case.id], withdrawn.status, where=[case.status], meeting_id=case.meeting_id
            )
            await uow.commit()
        return withdrawn, number

    async def revisions(self, principal: Principal, case_id: str) -> list[Revision]:
        async with self._uow() as uow:
            case = await _correctable(uow, principal, case_id)
            found = await uow.case_history.revisions(case.id)
            await uow.access_log.record(
                principal,
                resource="case-revisions",
                resource_id=case.id,
                subjects=[case.cpr],
                at=self._clock.now(),
            )
            await uow.commit()
        return found

    async def _revise(
        self,
        uow: UnitOfWork,
        principal: Principal,
        case: Case,
        fields: tuple[str, ...],
        reason: str,
        before: Mapping[str, Any],
    ) -> int:
        await uow.journal.lock()  # one revision number at a time, as list versions
        number = await uow.case_history.next_revision(case.id)
        await uow.case_history.add_revision(
            Revision(
                case_id=case.id,
                revision=number,
                fields=fields,
                reason=reason.strip(),
                by_sub=principal.sub,
                by_unit=principal.unit,
                at=self._clock.now(),
                before=dict(before),
            )
        )
        return number
