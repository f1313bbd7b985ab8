"""Use cases for auditors: the access log, by time or by subject."""

from __future__ import annotations

from ksp.domain.access import Principal
from ksp.domain.audit import AccessRecord
from ksp.domain.cpr import InvalidCpr, parse_cpr
from ksp.domain.errors import FieldError, InvalidInput
from ksp.services.ports import Clock, Page, TimeRange, UnitOfWorkFactory

__all__ = ["AuditService"]


class AuditService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def access_log(self, period: TimeRange, page: Page) -> list[AccessRecord]:
        async with self._uow() as uow:
            return await uow.access_log.find(period, page)

    async def reads_of(
        self, principal: Principal, cpr: str, period: TimeRange, page: Page
    ) -> list[AccessRecord]:
        """Who read this person's data. The search itself is logged as a read about them."""
        try:
            subject = parse_cpr(cpr, today=self._clock.now().date())
        except InvalidCpr as exc:
            raise InvalidInput([FieldError("cpr", str(exc))]) from None
        async with self._uow() as uow:
            found = await uow.access_log.find(period, page, subject=subject)
            await uow.access_log.record(
                principal,
                resource="access-log-search",
                resource_id=None,
                subjects=[subject],
                at=self._clock.now(),
            )
            await uow.commit()
        return found
