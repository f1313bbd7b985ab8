"""The SQL unit of work: one session, one transaction, the stores bound to it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ksp.crypto import FieldCipher, KeyedHasher
from ksp.db.stores import SqlAccessLogStore, SqlCaseStore, SqlIdempotencyStore
from ksp.services.ports import AccessLogStore, CaseStore, IdempotencyStore

__all__ = ["SqlUnitOfWork", "SqlUnitOfWorkFactory"]


class SqlUnitOfWork:
    cases: CaseStore
    idempotency: IdempotencyStore
    access_log: AccessLogStore

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cipher: FieldCipher,
        hasher: KeyedHasher,
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._hasher = hasher

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        self.cases = SqlCaseStore(self._session, self._cipher, self._hasher)
        self.idempotency = SqlIdempotencyStore(self._session)
        self.access_log = SqlAccessLogStore(self._session, self._hasher)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._session.close()  # rolls back whatever was not committed

    async def commit(self) -> None:
        await self._session.commit()


class SqlUnitOfWorkFactory:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cipher: FieldCipher,
        hasher: KeyedHasher,
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._hasher = hasher

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, self._cipher, self._hasher)
