"""MeetingService.change_list through the in-memory fakes of its ports (no database)."""

from __future__ import annotations

import json

import pytest

from ksp.domain.cases import CaseStatus
from ksp.domain.errors import MeetingCancelled, NotFound, NotLatestVersion
from ksp.domain.lists import ListChange
from ksp.domain.meeting_status import MeetingStatus
from ksp.services.meetings import DOCUMENT_VERSION, MeetingService
from unit.fakes import FakeUnitOfWorkFactory, FixedClock
from unit.fakes.seed import KIF, OTHER_KIF, seed_case, seed_meeting


def service(uow: FakeUnitOfWorkFactory) -> MeetingService:
    ids = iter(f"doc-{n}" for n in range(1, 100))
    return MeetingService(uow, FixedClock(), lambda: next(ids))


def change(*add: str, remove: tuple[str, ...] = (), base: int | None = None) -> ListChange:
    return ListChange(add=add, remove=remove, reason="Til dagsordenen", base_version=base)


@pytest.fixture
def uow() -> FakeUnitOfWorkFactory:
    uow = FakeUnitOfWorkFactory()
    seed_meeting(uow.world)
    seed_case(uow.world, "c1")
    seed_case(uow.world, "c2", cpr="010190-1235")
    return uow


async def test_each_accepted_change_makes_exactly_one_journalised_version(
    uow: FakeUnitOfWorkFactory,
) -> None:
    """Guide 3.3.7: "skal der oprettes et nyt dokument når KSP-listen opdateres, som skal
    journaliseres på ny": one version and one journal entry per change."""
    meetings = service(uow)
    first = await meetings.change_list(KIF, "m1", change("c1"))
    second = await meetings.change_list(KIF, "m1", change("c2", base=1))
    state = uow.world.state
    assert (first.version, second.version) == (1, 2)
    assert [r.version for r in state.versions[first.document_id]] == [1, 2]
    assert [row.kind for row in state.journal] == [DOCUMENT_VERSION, DOCUMENT_VERSION]
    assert [row.plaintext_sha256 for row in state.journal] == [first.sha256, second.sha256]
    body = json.loads(state.journal[1].plaintext)
    assert [entry["case_id"] for entry in body["entries"]] == ["c1", "c2"]
    assert state.cases["c1"].status is CaseStatus.LISTED
    assert state.cases["c1"].meeting_id == "m1"


async def test_a_change_on_a_stale_base_version_is_refused_and_nothing_written(
    uow: FakeUnitOfWorkFactory,
) -> None:
    """Guide 3.3.7: each list version is journalised; a change must build on the latest one
    (NotLatestVersion), and a refused change writes no version and no journal entry."""
    meetings = service(uow)
    await meetings.change_list(KIF, "m1", change("c1"))
    before = (uow.world.commits, len(uow.world.state.journal))
    with pytest.raises(NotLatestVersion):
        await meetings.change_list(KIF, "m1", change("c2", base=0))
    assert (uow.world.commits, len(uow.world.state.journal)) == before
    assert uow.world.state.cases["c2"].status is CaseStatus.MEETING


async def test_a_cancelled_meeting_takes_no_list_change(uow: FakeUnitOfWorkFactory) -> None:
    """A cancelled meeting takes no list change (MeetingCancelled); nothing is written."""
    seed_meeting(uow.world, status=MeetingStatus.CANCELLED)
    with pytest.raises(MeetingCancelled):
        await service(uow).change_list(KIF, "m1", change("c1"))
    assert uow.world.state.journal == []
    assert uow.world.state.documents == {}
    assert uow.world.commits == 0


async def test_another_kif_unit_cannot_change_the_list_and_learns_nothing(
    uow: FakeUnitOfWorkFactory,
) -> None:
    """Only the meeting's own KiF unit changes its list; another sees "not found"."""
    with pytest.raises(NotFound):
        await service(uow).change_list(OTHER_KIF, "m1", change("c1"))
    assert uow.world.state.journal == []


async def test_a_case_removed_from_the_list_is_back_to_meeting(
    uow: FakeUnitOfWorkFactory,
) -> None:
    """A case removed from the only list that held it is triaged for a meeting again."""
    meetings = service(uow)
    await meetings.change_list(KIF, "m1", change("c1", "c2"))
    await meetings.change_list(KIF, "m1", change(remove=("c1",), base=1))
    assert uow.world.state.cases["c1"].status is CaseStatus.MEETING
    assert uow.world.state.cases["c1"].meeting_id is None
    assert uow.world.state.cases["c2"].status is CaseStatus.LISTED
