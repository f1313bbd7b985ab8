"""The rules of DOMAIN.md for cases, in the pure core (no database, no HTTP)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ksp.domain.cases import (
    CaseDraft,
    CaseStatus,
    Custody,
    Submitter,
    TriageDecision,
    check_case,
    parse_case,
    triage,
)
from ksp.domain.errors import (
    InvalidInput,
    InvalidStatusTransition,
    RemandRequiresRadicalisationConcern,
)

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
SUBMITTER = Submitter("u1", "arrest", "arrest-koebenhavn")
DRAFT = CaseDraft(
    name="Test Person",
    cpr="010190-1234",
    custody=Custody.REMAND,
    radicalisation_concern=True,
    security_notified_on=dt.date(2026, 11, 20),
    concern="Bekymring",
    municipality_code=101,
    police_district="koebenhavn",
    kif_unit="kif-hovedstaden",
    detained_since=dt.date(2026, 10, 1),
    released_on=None,
    urgent=False,
    meeting_id=None,
)


def parse(**changes: object) -> object:
    return parse_case(
        dataclasses.replace(DRAFT, **changes), case_id="c1", submitter=SUBMITTER, now=NOW
    )


def fields_of(error: InvalidInput) -> set[str]:
    return {e.field for e in error.errors}


def test_remand_prisoner_may_only_be_listed_with_radicalisation_concern_guide_3_3_7() -> None:
    """Guide 3.3.7: "oplysninger om varetægtsarrestanter kun må udveksles i KSP-regi, hvis der
    er bekymring for radikalisering"."""
    with pytest.raises(RemandRequiresRadicalisationConcern):
        check_case(Custody.REMAND, radicalisation_concern=False)
    with pytest.raises(RemandRequiresRadicalisationConcern):
        parse(radicalisation_concern=False, security_notified_on=None)


@pytest.mark.parametrize("custody", [Custody.CONVICTED, Custody.YOUTH_SECTION_78])
def test_section_115_stk_2_covers_convicted_and_youth_without_a_concern_guide_3_3_7(
    custody: Custody,
) -> None:
    """Guide 3.3.7 (retsplejeloven § 115 stk. 2): convicted and § 78 youth need no concern."""
    check_case(custody, radicalisation_concern=False)
    case = parse(custody=custody, radicalisation_concern=False, security_notified_on=None)
    assert case.custody is custody  # type: ignore[attr-defined]


def test_a_radicalisation_concern_records_when_security_was_told_guide_3_3_6() -> None:
    """Guide 3.3.6: "skal underrette Koncern Sikkerhed ved bekymring for radikalisering"."""
    with pytest.raises(InvalidInput) as caught:
        parse(security_notified_on=None)
    assert fields_of(caught.value) == {"security_notified_on"}


def test_security_notification_is_not_in_the_future_guide_3_3_6() -> None:
    """Guide 3.3.6: the date Koncern Sikkerhed was told has passed."""
    with pytest.raises(InvalidInput) as caught:
        parse(security_notified_on=dt.date(2026, 11, 28))
    assert fields_of(caught.value) == {"security_notified_on"}
    assert parse(security_notified_on=dt.date(2026, 11, 27))


def test_dates_are_coherent() -> None:
    """Detention has begun, and a release is not before it."""
    with pytest.raises(InvalidInput) as caught:
        parse(detained_since=dt.date(2026, 12, 1), released_on=dt.date(2026, 11, 1))
    assert fields_of(caught.value) == {"detained_since", "released_on"}


def test_every_bad_field_is_reported_at_once() -> None:
    """One answer names every field that is wrong, so a user fixes them in one go."""
    with pytest.raises(InvalidInput) as caught:
        parse(
            name=" ",
            cpr="x",
            concern="",
            municipality_code=411,
            police_district="x",
            kif_unit="arrest-x",
        )
    assert fields_of(caught.value) == {
        "subject.name",
        "subject.cpr",
        "concern",
        "municipality_code",
        "police_district",
        "kif_unit",
    }


def test_kif_triages_a_submitted_case_once_guide_3_3_7() -> None:
    """Guide 3.3.7: KiF judges whether the case waits for a meeting or is urgent."""
    case = parse()
    decided = triage(case, TriageDecision.DIRECT, "akut", by_sub="k1", now=NOW)  # type: ignore[arg-type]
    assert decided.status is CaseStatus.DIRECT
    assert decided.triage is not None
    assert decided.triage.reason == "akut"
    with pytest.raises(InvalidStatusTransition):
        triage(decided, TriageDecision.MEETING, None, by_sub="k1", now=NOW)
