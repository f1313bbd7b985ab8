"""The fake unit of work: a copy of the world's state, put back only on commit."""

from __future__ import annotations

import copy
import datetime as dt
from types import TracebackType
from typing import Self

from ksp.services.ports import (
    CirculationStore,
    Clock,
    InquiryStore,
    SubjectStore,
    TreeStore,
    UnitOfWork,
    UnitOfWorkFactory,
)
from unit.fakes.erasure import FakeErasureStore, FakeKeyEraser
from unit.fakes.state import State
from unit.fakes.stores import (
    FakeAccessLogStore,
    FakeCaseStore,
    FakeDocumentStore,
    FakeJournalStore,
    FakeMeetingStore,
)
from unit.fakes.work import (
    FakeCaseHistoryStore,
    FakeExchangeStore,
    FakeIdempotencyStore,
    FakeMeetingWorkStore,
    FakeRecipientStore,
)

__all__ = ["FakeUnitOfWork", "FakeUnitOfWorkFactory", "FixedClock", "World"]

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


class FixedClock(Clock):
    def __init__(self, now: dt.datetime = NOW) -> None:
        self.moment = now

    def now(self) -> dt.datetime:
        return self.moment


class World:
    """The committed state every unit of work starts from, and how many commits it saw."""

    def __init__(self) -> None:
        self.state = State()
        self.commits = 0


class _NotFaked:
    """A store the tested services do not reach: any use of it is a test error."""

    def __getattr__(self, name: str) -> object:
        raise NotImplementedError(f"the fakes do not implement {name}")


class FakeUnitOfWork(UnitOfWork):
    def __init__(self, world: World) -> None:
        self._world = world
        self._state = copy.deepcopy(world.state)
        state = self._state
        self.cases = FakeCaseStore(state)
        self.case_history = FakeCaseHistoryStore(state)
        self.idempotency = FakeIdempotencyStore(state)
        self.access_log = FakeAccessLogStore(state)
        self.meetings = FakeMeetingStore(state)
        self.documents = FakeDocumentStore(state)
        self.journal = FakeJournalStore(state)
        self.recipients = FakeRecipientStore(state)
        self.exchanges = FakeExchangeStore(state)
        self.meeting_work = FakeMeetingWorkStore(state)
        self.circulations: CirculationStore = _NotFaked()  # type: ignore[assignment]
        self.inquiries: InquiryStore = _NotFaked()  # type: ignore[assignment]
        self.tree: TreeStore = _NotFaked()  # type: ignore[assignment]
        self.erasure = FakeErasureStore(state)
        self.key_eraser = FakeKeyEraser(state)
        self.subjects: SubjectStore = _NotFaked()  # type: ignore[assignment]

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None  # an uncommitted copy is simply dropped

    async def commit(self) -> None:
        self._world.state = copy.deepcopy(self._state)
        self._world.commits += 1


class FakeUnitOfWorkFactory(UnitOfWorkFactory):
    def __init__(self, world: World | None = None) -> None:
        self.world = World() if world is None else world

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.world)
