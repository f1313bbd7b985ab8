"""In-memory fakes of the ports in ``ksp.services.ports``, for unit tests of the services.

Each fake subclasses its Protocol and implements what the tested services call; the rest
raises NotImplementedError. A :class:`FakeUnitOfWork` works on a copy of the
:class:`World` and puts it back only on ``commit``, so a refused call leaves nothing behind.
"""

from unit.fakes.stores import (
    FakeAccessLogStore,
    FakeCaseStore,
    FakeDocumentStore,
    FakeJournalStore,
    FakeMeetingStore,
    JournalRow,
    LoggedRead,
)
from unit.fakes.uow import FakeUnitOfWork, FakeUnitOfWorkFactory, FixedClock, World
from unit.fakes.work import (
    FakeCaseHistoryStore,
    FakeExchangeStore,
    FakeIdempotencyStore,
    FakeMeetingWorkStore,
    FakeRecipientStore,
)

__all__ = [
    "FakeAccessLogStore",
    "FakeCaseHistoryStore",
    "FakeCaseStore",
    "FakeDocumentStore",
    "FakeExchangeStore",
    "FakeIdempotencyStore",
    "FakeJournalStore",
    "FakeMeetingStore",
    "FakeMeetingWorkStore",
    "FakeRecipientStore",
    "FakeUnitOfWork",
    "FakeUnitOfWorkFactory",
    "FixedClock",
    "JournalRow",
    "LoggedRead",
    "World",
]
