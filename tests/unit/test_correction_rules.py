"""Corrections, withdrawal, triage corrections and the list's limits, in the pure core."""

from __future__ import annotations

import dataclasses

import pytest

from ksp.domain.cases import Case, CaseStatus, Custody, TriageDecision, parse_case, triage
from ksp.domain.corrections import correct, withdraw
from ksp.domain.errors import (
    InvalidInput,
    InvalidStatusTransition,
    RemandRequiresRadicalisationConcern,
)
from ksp.domain.lists import ListChange, apply_change
from ksp.domain.meetings import Meeting
from unit.test_case_rules import DRAFT, NOW, SUBMITTER

MEETING = Meeting(
    id="m1",
    kif_unit="kif-hovedstaden",
    municipality_code=101,
    police_district="koebenhavn",
    scheduled_for=NOW,
    title="Møde",
    created_at=NOW,
    created_by_sub="k1",
)


def case(case_id: str = "c1", **changes: object) -> Case:
    made = parse_case(
        dataclasses.replace(DRAFT, **changes), case_id=case_id, submitter=SUBMITTER, now=NOW
    )
    return triage(made, TriageDecision.MEETING, None, by_sub="k1", now=NOW)


def test_a_correction_keeps_the_remand_rule_guide_3_3_7() -> None:
    """Guide 3.3.7: "varetægtsarrestanter kun må udveksles i KSP-regi, hvis der er bekymring
    for radikalisering" — also after a correction."""
    with pytest.raises(RemandRequiresRadicalisationConcern):
        correct(
            case(),
            {"radicalisation_concern": False, "security_notified_on": None},
            "Fejl",
            now=NOW,
        )
    fixed, before = correct(
        case(),
        {
            "custody": Custody.CONVICTED,
            "radicalisation_concern": False,
            "security_notified_on": None,
        },
        "Dømt",
        now=NOW,
    )
    assert fixed.custody is Custody.CONVICTED
    assert before == {
        "custody": "remand",
        "radicalisation_concern": True,
        "security_notified_on": "2026-11-20",
    }
    assert fixed.status is CaseStatus.MEETING  # the triage stays


def test_a_correction_needs_a_reason_and_never_moves_the_kif_unit() -> None:
    """CONTRACT.md: any submitted field but kif_unit, plus a required reason."""
    with pytest.raises(InvalidInput) as caught:
        correct(case(), {"kif_unit": "kif-syddanmark"}, " ", now=NOW)
    assert {e.field for e in caught.value.errors} == {"reason", "kif_unit"}
    with pytest.raises(InvalidInput):
        correct(case(), {"urgent": False}, "Ingen ændring", now=NOW)  # changes nothing


def test_a_withdrawn_case_is_not_corrected_withdrawn_again_or_listed() -> None:
    """A withdrawn case joins no list (422 naming the entry)."""
    gone = withdraw(case(), "Løst")
    assert gone.status is CaseStatus.WITHDRAWN
    with pytest.raises(InvalidStatusTransition):
        withdraw(gone, "Igen")
    with pytest.raises(InvalidStatusTransition):
        correct(gone, {"urgent": True}, "x", now=NOW)
    change = ListChange(add=("c1",), remove=(), reason="Tilføjet", base_version=None)
    with pytest.raises(InvalidInput) as caught:
        apply_change(MEETING, (), change, {"c1": gone})
    assert [(e.field, e.message) for e in caught.value.errors] == [("add[0]", "is withdrawn")]


def test_a_triage_is_replaced_only_by_a_correction_with_a_reason_guide_3_3_7() -> None:
    """Guide 3.3.7: KiF judges urgency; a wrong judgement is corrected on purpose."""
    decided = case()
    with pytest.raises(InvalidStatusTransition):
        triage(decided, TriageDecision.DIRECT, "x", by_sub="k1", now=NOW)
    with pytest.raises(InvalidInput):
        triage(decided, TriageDecision.DIRECT, None, by_sub="k1", now=NOW, corrects=True)
    fixed = triage(decided, TriageDecision.DIRECT, "Haster", by_sub="k1", now=NOW, corrects=True)
    assert fixed.status is CaseStatus.DIRECT
    assert fixed.triage is not None
    assert fixed.triage.corrects is True
    listed = dataclasses.replace(decided, status=CaseStatus.LISTED)
    still = triage(listed, TriageDecision.MEETING, "Ja", by_sub="k1", now=NOW, corrects=True)
    assert still.status is CaseStatus.LISTED


def test_a_list_holds_at_most_max_entries() -> None:
    """Finding 13: a change beyond the limit is refused naming add; a swap at the limit is
    taken, and the entries kept are taken afresh from the corrected cases."""
    cases = {f"c{i}": case(f"c{i}") for i in range(3)}
    full = apply_change(MEETING, (), ListChange(("c0", "c1"), (), "Ny", None), cases, max_entries=2)
    with pytest.raises(InvalidInput) as caught:
        apply_change(MEETING, full, ListChange(("c2",), (), "Mere", 1), cases, max_entries=2)
    assert [e.field for e in caught.value.errors] == ["add"]
    corrected = {**cases, "c1": dataclasses.replace(cases["c1"], concern="Rettet")}
    swapped = apply_change(
        MEETING, full, ListChange(("c2",), ("c0",), "Byt", 1), corrected, max_entries=2
    )
    assert [(e.case_id, e.concern) for e in swapped] == [
        ("c1", "Rettet"),
        ("c2", cases["c2"].concern),
    ]
