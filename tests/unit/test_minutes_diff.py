"""The minutes diff (domain.minutes_diff): attendees by name, agency and unit; outcomes by
case; actions by id; each added, removed or changed with the fields that differ."""

from __future__ import annotations

from typing import Any

from ksp.domain.minutes_diff import diff_minutes

MEETTE = {"name": "Mette", "agency": "kf", "unit": "kif-a", "role": "chair", "present": True}
ACTION = {
    "id": "a1",
    "agency": "police",
    "unit": "p",
    "description": "Ring",
    "due_on": "2026-12-20",
    "status": "open",
}


def body(attendees: list[dict[str, Any]], outcome: dict[str, Any] | None) -> dict[str, Any]:
    return {"attendees": attendees, "cases": [{"case_id": "c1", "outcome": outcome}]}


def test_what_is_gone_from_the_later_version_is_removed() -> None:
    outcome = {"outcome_id": "o1", "summary": "S", "decision": "follow-up", "actions": [ACTION]}
    diff = diff_minutes(body([MEETTE], outcome), body([], {**outcome, "actions": []}))
    assert diff.attendees.removed == (MEETTE,)
    assert [a["id"] for a in diff.actions.removed] == ["a1"]
    assert diff.outcomes.changed == ()  # same summary and decision
    assert diff.case_ids() == {"c1"}


def test_a_corrected_outcome_is_changed_and_names_its_fields() -> None:
    before = {"outcome_id": "o1", "summary": "S", "decision": "follow-up", "actions": []}
    after = {"outcome_id": "o2", "summary": "S2", "decision": "next-meeting", "actions": []}
    diff = diff_minutes(body([MEETTE], before), body([MEETTE], after))
    (changed,) = diff.outcomes.changed
    assert (changed.key, changed.fields) == ("c1", ("summary", "decision"))
    assert diff.attendees.changed == ()


def test_identical_versions_differ_in_nothing() -> None:
    same = body([MEETTE], None)
    diff = diff_minutes(same, same)
    assert diff.case_ids() == set()
    assert (diff.attendees.added, diff.outcomes.added, diff.actions.added) == ((), (), ())
