"""What the services need from the outside, as protocols (the adapters live in ``ksp.db``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

from ksp.domain.access import CaseScope, Principal
from ksp.domain.audit import AccessRecord
from ksp.domain.cases import Case, CaseStatus
from ksp.domain.cpr import Cpr

__all__ = [
    "AccessLogStore",
    "CaseStore",
    "Clock",
    "DuplicateKey",
    "IdempotencyStore",
    "Page",
    "StoredResult",
    "TimeRange",
    "UnitOfWork",
    "UnitOfWorkFactory",
]


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


@dataclass(frozen=True, slots=True)
class Page:
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class TimeRange:
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredResult:
    request_digest: bytes
    result: bytes


class DuplicateKey(Exception):
    """Raised by ``commit`` when a concurrent request stored the same idempotency key."""


class CaseStore(Protocol):
    async def add(self, case: Case) -> None: ...
    async def get(self, case_id: str) -> Case | None: ...
    async def find(
        self,
        scope: CaseScope,
        page: Page,
        *,
        status: CaseStatus | None = None,
        meeting_id: str | None = None,
    ) -> list[Case]: ...
    async def save_triage(self, case: Case) -> None: ...


class IdempotencyStore(Protocol):
    async def get(self, sub: str, unit: str, key: str) -> StoredResult | None: ...
    async def add(
        self, sub: str, unit: str, key: str, stored: StoredResult, at: dt.datetime
    ) -> None: ...


class AccessLogStore(Protocol):
    async def record(
        self,
        principal: Principal,
        *,
        resource: str,
        resource_id: str | None,
        subjects: Sequence[Cpr],
        at: dt.datetime,
    ) -> None: ...
    async def find(
        self, period: TimeRange, page: Page, *, subject: Cpr | None = None
    ) -> list[AccessRecord]: ...


class UnitOfWork(Protocol):
    cases: CaseStore
    idempotency: IdempotencyStore
    access_log: AccessLogStore

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
