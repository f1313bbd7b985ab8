"""OutcomeService through the in-memory fakes of its ports (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from ksp.domain.actions import ActionStatus
from ksp.domain.circulation import Agency
from ksp.domain.errors import DuplicateOutcome, InvalidInput, MeetingCancelled
from ksp.domain.lists import ListChange
from ksp.domain.meeting_status import MeetingStatus
from ksp.domain.outcomes import ActionDraft, OutcomeDecision, OutcomeDraft
from ksp.services.meetings import MeetingService
from ksp.services.outcomes import OutcomeService
from unit.fakes import FakeUnitOfWorkFactory, FixedClock
from unit.fakes.seed import KIF, NOW, seed_case, seed_meeting

MEETING_DAY = NOW.date() + dt.timedelta(days=3)


def counter(prefix: str) -> object:
    ids = iter(f"{prefix}-{n}" for n in range(1, 100))
    return lambda: next(ids)


def outcomes(uow: FakeUnitOfWorkFactory) -> OutcomeService:
    return OutcomeService(uow, FixedClock(), new_id=counter("id"))  # type: ignore[arg-type]


def draft(**changes: object) -> OutcomeDraft:
    action = ActionDraft(Agency.MUNICIPALITY, "kommune-101", "Kontakt til familien", MEETING_DAY)
    values: dict[str, object] = {
        "case_id": "c1",
        "summary": "Drøftet; kommunen tager kontakt",
        "decision": OutcomeDecision.FOLLOW_UP,
        "actions": (action,),
    }
    values.update(changes)
    return OutcomeDraft(**values)  # type: ignore[arg-type]


@pytest.fixture
async def uow() -> FakeUnitOfWorkFactory:
    """Meeting m1 in three days with case c1 on its first list version."""
    uow = FakeUnitOfWorkFactory()
    seed_meeting(uow.world)
    seed_case(uow.world, "c1")
    change = ListChange(add=("c1",), remove=(), reason="Til mødet", base_version=None)
    meetings = MeetingService(uow, FixedClock(), counter("doc"))  # type: ignore[arg-type]
    await meetings.change_list(KIF, "m1", change)
    return uow


async def test_an_outcome_opens_an_exchange_of_the_case_at_the_meeting(
    uow: FakeUnitOfWorkFactory,
) -> None:
    """Guide 3.3.7: discussing a case at a KSP meeting is an exchange of information, so the
    outcome opens an exchange (with its duties to tell the detainee and to note it)."""
    recorded = await outcomes(uow).record_outcome(KIF, "m1", draft())
    state = uow.world.state
    exchange = state.exchanges[recorded.exchange_id]
    assert (exchange.case_id, exchange.meeting_id) == ("c1", "m1")
    assert exchange.occurred_on == NOW.date()  # the meeting is later: the exchange not yet
    assert exchange.journal_seq == state.journal[-2].seq
    assert [row.kind for row in state.journal[1:]] == ["exchange", "outcome"]
    [row] = state.outcomes
    assert (row.id, row.exchange_id, row.journal_seq) == (
        recorded.id,
        recorded.exchange_id,
        state.journal[-1].seq,
    )
    assert [state.actions[a].status for a in recorded.action_ids] == [ActionStatus.OPEN]


async def test_a_second_outcome_for_the_case_without_corrects_is_a_duplicate(
    uow: FakeUnitOfWorkFactory,
) -> None:
    """A case has one outcome per meeting; another without ``corrects`` is DuplicateOutcome
    and writes nothing."""
    service = outcomes(uow)
    await service.record_outcome(KIF, "m1", draft())
    before = (uow.world.commits, len(uow.world.state.journal))
    with pytest.raises(DuplicateOutcome):
        await service.record_outcome(KIF, "m1", draft())
    assert (uow.world.commits, len(uow.world.state.journal)) == before


async def test_a_correction_replaces_the_outcome_and_cancels_its_open_actions(
    uow: FakeUnitOfWorkFactory,
) -> None:
    """A correction names the current outcome in ``corrects``; the corrected outcome's open
    actions are cancelled and the correction's replace them."""
    service = outcomes(uow)
    first = await service.record_outcome(KIF, "m1", draft())
    second = await service.record_outcome(KIF, "m1", draft(corrects=first.id))
    current = await uow().meeting_work.current_outcomes("m1")
    assert [o.id for o in current] == [second.id]
    state = uow.world.state
    assert state.actions[first.action_ids[0]].status is ActionStatus.CANCELLED
    assert state.actions[second.action_ids[0]].status is ActionStatus.OPEN


async def test_corrects_naming_another_outcome_is_refused(uow: FakeUnitOfWorkFactory) -> None:
    """``corrects`` must name this case's current outcome (400 on the corrects field)."""
    with pytest.raises(InvalidInput) as refused:
        await outcomes(uow).record_outcome(KIF, "m1", draft(corrects="no-such-outcome"))
    assert [e.field for e in refused.value.errors] == ["corrects"]


async def test_an_outcome_for_a_case_not_on_the_list_is_refused(
    uow: FakeUnitOfWorkFactory,
) -> None:
    """An outcome is for a case on the meeting's latest list version."""
    with pytest.raises(InvalidInput) as refused:
        await outcomes(uow).record_outcome(KIF, "m1", draft(case_id="c9"))
    assert [e.field for e in refused.value.errors] == ["case_id"]
    assert uow.world.state.outcomes == []


async def test_a_cancelled_meeting_takes_no_outcome(uow: FakeUnitOfWorkFactory) -> None:
    """A cancelled meeting takes no outcome (MeetingCancelled)."""
    seed_meeting(uow.world, status=MeetingStatus.CANCELLED)
    with pytest.raises(MeetingCancelled):
        await outcomes(uow).record_outcome(KIF, "m1", draft())
    assert uow.world.state.exchanges == {}


async def test_an_action_due_before_the_meeting_is_refused(uow: FakeUnitOfWorkFactory) -> None:
    """Actions are due on or after the meeting's day."""
    early = ActionDraft(Agency.POLICE, "politi-kbh", "Samtale", MEETING_DAY - dt.timedelta(days=1))
    with pytest.raises(InvalidInput) as refused:
        await outcomes(uow).record_outcome(KIF, "m1", draft(actions=(early,)))
    assert [e.field for e in refused.value.errors] == ["actions[0].due_on"]
