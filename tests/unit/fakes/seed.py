"""Callers, submissions and meetings for the service tests, and ways to put them straight
into a :class:`World` (as if an earlier call had stored them)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from ksp.domain.access import Principal, Role
from ksp.domain.cases import Case, CaseDraft, CaseStatus, Custody, Submitter, parse_case
from ksp.domain.meetings import Meeting
from unit.fakes.uow import NOW, World

__all__ = ["ARREST", "KIF", "KIF_UNIT", "NOW", "OTHER_KIF", "a_draft", "seed_case", "seed_meeting"]

KIF_UNIT = "kif-hovedstaden"
KIF = Principal("kif-1", Role.KIF, KIF_UNIT, name="Karen KiF")
OTHER_KIF = Principal("kif-2", Role.KIF, "kif-syddanmark")
ARREST = Principal("arrest-1", Role.ARREST, "arrest-koebenhavn")


def a_draft(**changes: object) -> CaseDraft:
    """A remand case with a radicalisation concern: one that every rule accepts."""
    draft = CaseDraft(
        name="Test Person",
        cpr="010190-1234",
        custody=Custody.REMAND,
        radicalisation_concern=True,
        security_notified_on=dt.date(2026, 11, 20),
        concern="Bekymring for radikalisering",
        municipality_code=101,
        police_district="koebenhavn",
        kif_unit=KIF_UNIT,
        detained_since=dt.date(2026, 10, 1),
        released_on=None,
        urgent=False,
        meeting_id=None,
    )
    return dataclasses.replace(draft, **changes)  # type: ignore[arg-type]


def seed_case(
    world: World, case_id: str, *, status: CaseStatus = CaseStatus.MEETING, **changes: object
) -> Case:
    """A case submitted by the jail and triaged (by default) for a meeting."""
    submitter = Submitter(ARREST.sub, ARREST.role.value, ARREST.unit)
    case = parse_case(a_draft(**changes), case_id=case_id, submitter=submitter, now=NOW)
    case = dataclasses.replace(case, status=status)
    world.state.cases[case_id] = case
    return case


def seed_meeting(world: World, meeting_id: str = "m1", **changes: object) -> Meeting:
    """A planned meeting of :data:`KIF_UNIT` with København's municipality and police, in
    three days."""
    meeting = Meeting(
        id=meeting_id,
        kif_unit=KIF_UNIT,
        municipality_code=101,
        police_district="koebenhavn",
        scheduled_for=NOW + dt.timedelta(days=3),
        title="KSP-møde december",
        created_at=NOW,
        created_by_sub=KIF.sub,
    )
    meeting = dataclasses.replace(meeting, **changes)  # type: ignore[arg-type]
    world.state.meetings[meeting_id] = meeting
    return meeting
