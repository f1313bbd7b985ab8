"""The KSP list's rules in the pure core: apply_change and diff_lists (guide 3.3.7)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ksp.domain.cases import Case, CaseStatus, Custody, Submitter
from ksp.domain.cpr import parse_cpr
from ksp.domain.documents import diff_lists
from ksp.domain.errors import InvalidInput, NotLatestVersion, RemandRequiresRadicalisationConcern
from ksp.domain.lists import ListChange, ListEntry, apply_change, check_base_version
from ksp.domain.meetings import Meeting

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
MEETING = Meeting(
    id="m1",
    kif_unit="kif-hovedstaden",
    municipality_code=101,
    police_district="koebenhavn",
    scheduled_for=NOW + dt.timedelta(days=10),
    title="KSP-møde",
    created_at=NOW,
    created_by_sub="kif-1",
)


def case(case_id: str, **changes: object) -> Case:
    values: dict[str, object] = {
        "id": case_id,
        "submitted_at": NOW,
        "submitted_by": Submitter("u1", "arrest", "arrest-koebenhavn"),
        "name": f"Person {case_id}",
        "cpr": parse_cpr("010190-1234", today=dt.date(2026, 11, 27)),
        "custody": Custody.CONVICTED,
        "radicalisation_concern": False,
        "security_notified_on": None,
        "concern": "Bekymring",
        "municipality_code": 101,
        "police_district": "koebenhavn",
        "kif_unit": "kif-hovedstaden",
        "detained_since": dt.date(2026, 1, 1),
        "released_on": None,
        "urgent": False,
        "meeting_id": None,
        "status": CaseStatus.MEETING,
    }
    values.update(changes)
    return Case(**values)  # type: ignore[arg-type]


def change(add: tuple[str, ...] = (), remove: tuple[str, ...] = ()) -> ListChange:
    return ListChange(add=add, remove=remove, reason="Forberedelse", base_version=None)


def errors_of(caught: pytest.ExceptionInfo[InvalidInput]) -> list[tuple[str, str]]:
    return [(e.field, e.message) for e in caught.value.errors]


def test_a_change_adds_and_removes_keeping_the_order_of_the_list() -> None:
    """Guide 3.3.7: every change makes the next list; kept entries keep their places."""
    cases = {c: case(c) for c in ("a", "b", "c")}
    first = apply_change(MEETING, (), change(add=("a", "b")), cases)
    assert [e.case_id for e in first] == ["a", "b"]
    second = apply_change(MEETING, first, change(add=("c",), remove=("a",)), cases)
    assert [e.case_id for e in second] == ["b", "c"]


def test_only_cases_triaged_for_this_meeting_join_the_list_guide_3_3_7() -> None:
    """Guide 3.3.7: KiF presents the cases it judged can wait for a planned KSP meeting, of
    the meeting's municipality and police district."""
    cases = {
        "other-unit": case("other-unit", kif_unit="kif-syddanmark"),
        "untriaged": case("untriaged", status=CaseStatus.SUBMITTED),
        "other-town": case("other-town", municipality_code=147),
        "other-district": case("other-district", police_district="fyn"),
    }
    with pytest.raises(InvalidInput) as caught:
        apply_change(MEETING, (), change(add=(*cases, "absent")), cases)
    assert errors_of(caught) == [
        ("add[0]", "does not name a case of this KiF unit"),
        ("add[1]", "is not triaged for a meeting"),
        ("add[2]", "belongs to another municipality than the meeting's"),
        ("add[3]", "belongs to another police district than the meeting's"),
        ("add[4]", "does not name a case of this KiF unit"),
    ]


def test_the_remand_rule_is_checked_again_when_a_case_joins_guide_3_3_7() -> None:
    """Guide 3.3.7: a remand prisoner is discussed only with a radicalisation concern."""
    remand = case("r", custody=Custody.REMAND, radicalisation_concern=False)
    with pytest.raises(RemandRequiresRadicalisationConcern):
        apply_change(MEETING, (), change(add=("r",)), {"r": remand})


def test_a_change_must_change_something_and_name_each_case_once() -> None:
    """An empty change, a case added twice or both added and removed, a case already there
    or not there: each names its field."""
    cases = {"a": case("a")}
    current = apply_change(MEETING, (), change(add=("a",)), cases)
    with pytest.raises(InvalidInput) as caught:
        apply_change(MEETING, current, change(), cases)
    assert errors_of(caught) == [("add", "add or remove at least one case")]
    with pytest.raises(InvalidInput) as caught:
        apply_change(MEETING, current, change(add=("a",), remove=("b",)), cases)
    assert errors_of(caught) == [
        ("add[0]", "is already on the list"),
        ("remove[0]", "is not on the list"),
    ]
    with pytest.raises(InvalidInput):
        apply_change(
            MEETING, current, dataclasses.replace(change(remove=("a",)), reason=" "), cases
        )


def test_a_change_must_be_based_on_the_latest_version() -> None:
    """A stale base version is refused before anything is written (409)."""
    check_base_version(ListChange((), (), "x", base_version=2), latest=2)
    check_base_version(ListChange((), (), "x", base_version=None), latest=0)
    with pytest.raises(NotLatestVersion):
        check_base_version(ListChange((), (), "x", base_version=1), latest=2)


def test_the_diff_shows_added_removed_and_changed_entries() -> None:
    """A corrected concern shows under changed, with the entry before and after."""
    a, b, c = (ListEntry.of(case(x)) for x in "abc")
    corrected = dataclasses.replace(b, concern="Rettet bekymring")
    diff = diff_lists((a, b), (corrected, c))
    assert diff.added == (c,)
    assert diff.removed == (a,)
    assert diff.changed == ((b, corrected),)
    assert diff_lists((a,), (a,)) == type(diff)((), (), ())
