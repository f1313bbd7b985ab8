"""WorklistService through the in-memory fakes of its ports (no database)."""

from __future__ import annotations

import datetime as dt

from ksp.domain.lists import ListChange
from ksp.domain.meeting_status import MeetingStatus
from ksp.domain.outcomes import OutcomeDecision, OutcomeDraft
from ksp.domain.worklist import DueKind
from ksp.services.meetings import MeetingService
from ksp.services.outcomes import OutcomeService
from ksp.services.worklist import WorklistService
from unit.fakes import FakeUnitOfWorkFactory, FixedClock
from unit.fakes.seed import KIF, NOW, OTHER_KIF, seed_case, seed_meeting


def worklist(uow: FakeUnitOfWorkFactory) -> WorklistService:
    return WorklistService(uow, FixedClock())


async def list_case(uow: FakeUnitOfWorkFactory, meeting_id: str = "m1") -> str:
    """Put c1 on the meeting's first list version; the document id."""
    change = ListChange(add=("c1",), remove=(), reason="Til mødet", base_version=None)
    new = await MeetingService(uow, FixedClock()).change_list(KIF, meeting_id, change)
    return new.document_id


async def test_a_list_not_circulated_within_seven_days_of_the_meeting_is_due() -> None:
    """A meeting within 7 days whose latest list version was not circulated is on the
    worklist; once that version is circulated it is not."""
    uow = FakeUnitOfWorkFactory()
    seed_meeting(uow.world)
    seed_case(uow.world, "c1")
    document_id = await list_case(uow)
    items = await worklist(uow).worklist(KIF)
    assert [(i.kind, i.reference) for i in items] == [(DueKind.LIST_NOT_CIRCULATED, "m1")]
    uow.world.state.circulated.add((document_id, 1))
    assert await worklist(uow).worklist(KIF) == []


async def test_a_cancelled_meeting_and_another_units_meeting_are_not_on_the_worklist() -> None:
    """Cancelled meetings leave the worklist; a unit sees only the meetings it called."""
    uow = FakeUnitOfWorkFactory()
    seed_meeting(uow.world)
    seed_case(uow.world, "c1")
    await list_case(uow)
    assert await worklist(uow).worklist(OTHER_KIF) == []
    seed_meeting(uow.world, status=MeetingStatus.CANCELLED)
    assert await worklist(uow).worklist(KIF) == []


async def test_an_outcomes_exchange_with_open_duties_is_due() -> None:
    """Guide 3.3.7, "Notatpligt og orientering": an exchange whose detainee was not yet told
    or whose note is missing is on the worklist."""
    uow = FakeUnitOfWorkFactory()
    seed_meeting(uow.world, scheduled_for=NOW - dt.timedelta(hours=2))
    seed_case(uow.world, "c1")
    document_id = await list_case(uow)
    uow.world.state.circulated.add((document_id, 1))
    draft = OutcomeDraft("c1", "Drøftet", OutcomeDecision.NO_FURTHER_ACTION)
    recorded = await OutcomeService(uow, FixedClock()).record_outcome(KIF, "m1", draft)
    items = await worklist(uow).worklist(KIF)
    assert (DueKind.EXCHANGE_DUTIES_OPEN, recorded.exchange_id) in [
        (i.kind, i.reference) for i in items
    ]
