"""A data subject's access request, answered by an auditor: everything held about the
person and each consultation and disclosure (date, purpose, receiving agency), with staff
identities only when asked for. The extract is itself logged, with purpose
``subject-access``, as a read about the person."""

from __future__ import annotations

import dataclasses
from typing import Any

from ksp.domain.access import Principal, Purpose
from ksp.domain.cpr import InvalidCpr, parse_cpr
from ksp.domain.errors import FieldError, InvalidInput
from ksp.domain.subject_access import Holdings
from ksp.services.ports import Clock, UnitOfWorkFactory

__all__ = ["STAFF", "SubjectAccessService", "without_staff"]

STAFF = "(medarbejder)"
"""What stands where a staff identity would, unless it was asked for."""

_STAFF_FIELDS = frozenset(
    {"submitted_by", "created_by", "decided_by", "by", "recipient", "recipient_email"}
)


def _scrub(item: Any) -> Any:
    """``item`` (a dataclass of the extract) with its staff fields replaced, all the way
    down (an inquiry's decisions too)."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(item):
        value = getattr(item, f.name)
        if f.name in _STAFF_FIELDS:
            changes[f.name] = STAFF
        elif isinstance(value, tuple):
            changes[f.name] = tuple(_scrub(v) if dataclasses.is_dataclass(v) else v for v in value)
    return dataclasses.replace(item, **changes)


def without_staff(found: Holdings) -> Holdings:
    """The extract with every staff identity (token subjects, recipients' names and
    addresses) replaced by :data:`STAFF`; agencies, units and roles stay."""
    scrubbed: Holdings = _scrub(found)
    return dataclasses.replace(scrubbed, with_staff=False)


class SubjectAccessService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def extract(self, principal: Principal, cpr: str, *, with_staff: bool) -> Holdings:
        now = self._clock.now()
        try:
            subject = parse_cpr(cpr, today=now.date())
        except InvalidCpr as exc:
            raise InvalidInput([FieldError("cpr", str(exc))]) from None
        async with self._uow() as uow:
            found = await uow.subjects.holdings(subject)
            await uow.access_log.record(
                dataclasses.replace(principal, purpose=Purpose.SUBJECT_ACCESS),
                resource="subject-access",
                resource_id=None,
                subjects=[subject],
                at=now,
            )
            await uow.commit()
        found = dataclasses.replace(found, made_at=now)
        return found if with_staff else without_staff(found)
