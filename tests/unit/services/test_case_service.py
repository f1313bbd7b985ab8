"""CaseService through the in-memory fakes of its ports (no database)."""

from __future__ import annotations

import dataclasses

import pytest

from ksp.domain.access import Purpose
from ksp.domain.cases import Custody
from ksp.domain.errors import NotFound, RemandRequiresRadicalisationConcern
from ksp.services.cases import CaseService
from ksp.services.ports import Page
from unit.fakes import FakeUnitOfWorkFactory, FixedClock
from unit.fakes.seed import ARREST, KIF, KIF_UNIT, OTHER_KIF, a_draft, seed_case


def service(uow: FakeUnitOfWorkFactory) -> CaseService:
    ids = iter(f"case-{n}" for n in range(1, 100))
    return CaseService(uow, FixedClock(), lambda: next(ids), kif_units=[KIF_UNIT])


async def test_a_remand_case_without_radicalisation_concern_is_refused_and_nothing_stored() -> None:
    """Guide 3.3.7: "oplysninger om varetægtsarrestanter kun må udveksles i KSP-regi, hvis der
    er bekymring for radikalisering"; the refused case is not stored."""
    uow = FakeUnitOfWorkFactory()
    draft = a_draft(radicalisation_concern=False, security_notified_on=None)
    with pytest.raises(RemandRequiresRadicalisationConcern):
        await service(uow).submit(ARREST, draft, None)
    assert uow.world.state.cases == {}
    assert uow.world.state.access_log == []
    assert uow.world.commits == 0


async def test_a_convicted_person_needs_no_radicalisation_concern_and_is_stored() -> None:
    """Guide 3.3.7 / § 115 stk. 2: convicted people released from KF need no radicalisation
    concern; the case is stored once, submitted."""
    uow = FakeUnitOfWorkFactory()
    draft = a_draft(
        custody=Custody.CONVICTED, radicalisation_concern=False, security_notified_on=None
    )
    submitted = await service(uow).submit(ARREST, draft, None)
    assert list(uow.world.state.cases) == [submitted.case_id]
    assert uow.world.state.cases[submitted.case_id].submitted_by.unit == ARREST.unit


async def test_reading_a_case_writes_one_access_log_row_with_its_purpose() -> None:
    """DOMAIN.md: every read of personal data is access-logged, with its purpose (Directive
    2016/680 art. 25); the row names the case and its one subject."""
    uow = FakeUnitOfWorkFactory()
    case = seed_case(uow.world, "c1")
    view = await service(uow).get(KIF, "c1")
    assert view.case == case
    [row] = uow.world.state.access_log
    assert (row.sub, row.unit, row.resource, row.resource_id) == (KIF.sub, KIF_UNIT, "case", "c1")
    assert row.subjects == (case.cpr.digits,)
    assert row.purpose == Purpose.CASE_HANDLING.value


async def test_a_read_for_triage_is_logged_with_the_purpose_the_request_carries() -> None:
    """The purpose of a request (X-KSP-Purpose, on the principal) is the one logged."""
    uow = FakeUnitOfWorkFactory()
    seed_case(uow.world, "c1")
    await service(uow).get(dataclasses.replace(KIF, purpose=Purpose.TRIAGE), "c1")
    assert [row.purpose for row in uow.world.state.access_log] == [Purpose.TRIAGE.value]


async def test_another_kif_unit_reading_a_case_gets_not_found_and_no_log_row() -> None:
    """A foreign unit's case is "not found", so that even its existence does not leak."""
    uow = FakeUnitOfWorkFactory()
    seed_case(uow.world, "c1")
    with pytest.raises(NotFound):
        await service(uow).get(OTHER_KIF, "c1")
    assert uow.world.state.access_log == []


async def test_listing_cases_logs_one_row_naming_every_subject_shown() -> None:
    """A list read is logged once, with the subjects of every case it shows."""
    uow = FakeUnitOfWorkFactory()
    first = seed_case(uow.world, "c1")
    second = seed_case(uow.world, "c2", cpr="010190-1235")
    found = await service(uow).find(KIF, Page())
    assert {c.id for c in found} == {"c1", "c2"}
    [row] = uow.world.state.access_log
    assert row.resource == "cases"
    assert sorted(row.subjects) == sorted([first.cpr.digits, second.cpr.digits])
