"""The SQL unit of work: one session, one transaction, the stores bound to it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ksp.crypto import FieldCipher, KeyedHasher
from ksp.db.case_history_store import SqlCaseHistoryStore
from ksp.db.data_key_store import DataKeyRing, SqlDataKeyStore
from ksp.db.erasure_store import SqlErasureStore, SqlKeyEraser
from ksp.db.exchange_store import SqlExchangeStore
from ksp.db.inquiry_store import SqlInquiryStore
from ksp.db.journal_store import SqlJournalStore
from ksp.db.mail_stores import SqlCirculationStore, SqlRecipientStore
from ksp.db.meeting_stores import SqlDocumentStore, SqlMeetingStore
from ksp.db.meeting_work_store import SqlMeetingWorkStore
from ksp.db.stores import SqlAccessLogStore, SqlCaseStore, SqlIdempotencyStore
from ksp.db.subject_store import SqlSubjectStore
from ksp.db.tree_store import SqlTreeStore
from ksp.domain.errors import CommitOutcomeUnknown, StorageUnavailable
from ksp.journal.checkpoint import CheckpointSigner
from ksp.services.ports import (
    AccessLogStore,
    AppendGuard,
    CaseHistoryStore,
    CaseStore,
    CirculationStore,
    DataKeyEraser,
    DocumentStore,
    ErasureStore,
    ExchangeStore,
    IdempotencyStore,
    InquiryStore,
    JournalStore,
    MeetingStore,
    MeetingWorkStore,
    RecipientStore,
    SubjectStore,
    TreeStore,
)

__all__ = ["Adapters", "SqlUnitOfWork", "SqlUnitOfWorkFactory"]


@dataclass(frozen=True)
class Adapters:
    """What the stores need besides a session."""

    sessions: async_sessionmaker[AsyncSession]
    cipher: FieldCipher
    hasher: KeyedHasher
    signer: CheckpointSigner
    ring: DataKeyRing
    guard: AppendGuard | None = None  # the witnesses' rollback guard
    after_append: Callable[[], None] | None = None  # told after a commit that appended


class SqlUnitOfWork:
    data_keys: SqlDataKeyStore
    cases: CaseStore
    case_history: CaseHistoryStore
    idempotency: IdempotencyStore
    access_log: AccessLogStore
    meetings: MeetingStore
    documents: DocumentStore
    journal: JournalStore
    recipients: RecipientStore
    circulations: CirculationStore
    inquiries: InquiryStore
    exchanges: ExchangeStore
    meeting_work: MeetingWorkStore
    tree: TreeStore
    erasure: ErasureStore
    key_eraser: DataKeyEraser
    subjects: SubjectStore

    def __init__(self, adapters: Adapters) -> None:
        self._adapters = adapters

    async def __aenter__(self) -> Self:
        a = self._adapters
        self._session = session = a.sessions()
        self.data_keys = keys = SqlDataKeyStore(session, a.ring, a.cipher)
        self.cases = SqlCaseStore(session, keys, a.hasher)
        self.case_history = SqlCaseHistoryStore(session, keys)
        self.idempotency = SqlIdempotencyStore(session)
        self.access_log = SqlAccessLogStore(session, a.hasher)
        self.meetings = SqlMeetingStore(session)
        self.documents = SqlDocumentStore(session, keys)
        self.journal = self._journal = SqlJournalStore(session, keys, a.signer, a.guard)
        self.recipients = SqlRecipientStore(session)
        self.circulations = SqlCirculationStore(session, keys)
        self.inquiries = SqlInquiryStore(session, keys, a.hasher)
        self.exchanges = SqlExchangeStore(session, keys)
        self.meeting_work = SqlMeetingWorkStore(session, keys)
        self.tree = SqlTreeStore(session)
        self.erasure = SqlErasureStore(session, keys, a.hasher)
        self.key_eraser = SqlKeyEraser(keys)
        self.subjects = SqlSubjectStore(session, keys, a.hasher)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._session.close()  # rolls back whatever was not committed
        except (sa_exc.DBAPIError, OSError) as closing:
            if not _is_unavailable(closing):
                raise
            exc = exc or closing
        if isinstance(exc, StorageUnavailable):
            return
        if exc is not None and _is_unavailable(exc):
            raise StorageUnavailable from exc

    async def commit(self) -> None:
        """Commit; a connection lost during the COMMIT leaves its outcome unknown, which is
        said as such (the request may have been kept), never as "nothing was saved"."""
        try:
            await self._session.commit()
        except (sa_exc.DBAPIError, OSError) as exc:
            if _is_unavailable(exc):
                raise CommitOutcomeUnknown from exc
            raise
        if self._journal.appended and self._adapters.after_append is not None:
            self._journal.appended = False
            self._adapters.after_append()


# SQLSTATEs of a server that is gone or not taking connections: class 08 (connection
# exceptions), admin/crash shutdown, "cannot connect now" (starting up, failing over), and
# too many connections. Anything else (a constraint, a bad parameter, a missing table) is a
# fault of the code or the data and stays a 500.
_PG_UNAVAILABLE = frozenset({"57P01", "57P02", "57P03", "53300"})
_SQLITE_BUSY_OR_LOCKED = frozenset({5, 6})  # primary result codes: SQLITE_BUSY, SQLITE_LOCKED


def _is_unavailable(exc: BaseException) -> bool:
    """A lost or refused connection, a pool that had none to give, or SQLite still locked
    after its busy timeout: conditions of the moment, not faults of the request."""
    if isinstance(exc, sa_exc.TimeoutError | TimeoutError | OSError):
        return True  # the pool's wait, or the driver's connect (refused, unreachable)
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    sqlite_code = getattr(exc.orig, "sqlite_errorcode", None)
    if isinstance(sqlite_code, int):
        return sqlite_code & 0xFF in _SQLITE_BUSY_OR_LOCKED
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return isinstance(sqlstate, str) and (sqlstate.startswith("08") or sqlstate in _PG_UNAVAILABLE)


class SqlUnitOfWorkFactory:
    def __init__(self, adapters: Adapters) -> None:
        self._adapters = adapters

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._adapters)
