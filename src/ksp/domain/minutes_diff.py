"""What changed between two versions of a meeting's minutes (referat): who attended, the
outcome per case, and the actions agreed (CONTRACT.md, "Meetings (issue 8)": diffing works
for the minutes as for the list). The agenda's entries are diffed as for the list
(``documents.diff_lists``); this module compares what only the minutes hold.

Attendees have no id: one is the same person from version to version by name, agency and
unit (a corrected name is one removed and one added). An outcome is keyed by its case, an
action by its id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Changed", "KeyedDiff", "MinutesDiff", "diff_minutes"]

Item = Mapping[str, Any]

ATTENDEE_FIELDS = ("role", "present", "confidentiality_acknowledged")
OUTCOME_FIELDS = ("summary", "decision")
ACTION_FIELDS = ("agency", "unit", "description", "due_on", "status")


@dataclass(frozen=True, slots=True)
class Changed:
    key: str
    fields: tuple[str, ...]  # those whose value differs
    before: Item
    after: Item


@dataclass(frozen=True, slots=True)
class KeyedDiff:
    added: tuple[Item, ...]
    removed: tuple[Item, ...]
    changed: tuple[Changed, ...]


@dataclass(frozen=True, slots=True)
class MinutesDiff:
    attendees: KeyedDiff
    outcomes: KeyedDiff  # each {case_id, outcome_id, summary, decision}
    actions: KeyedDiff  # each {id, case_id, agency, unit, description, due_on, status}

    def case_ids(self) -> set[str]:
        """The cases whose outcome or actions changed (their people were shown)."""
        items = [
            item
            for diff in (self.outcomes, self.actions)
            for item in (*diff.added, *diff.removed, *(c.after for c in diff.changed))
        ]
        return {str(item["case_id"]) for item in items}


def _keyed(
    before: Sequence[Item], after: Sequence[Item], key: Callable[[Item], str], fields: Sequence[str]
) -> KeyedDiff:
    old = {key(item): item for item in before}
    new = {key(item): item for item in after}
    changed = []
    for name, item in new.items():
        if name in old:
            differing = tuple(f for f in fields if old[name].get(f) != item.get(f))
            if differing:
                changed.append(Changed(name, differing, old[name], item))
    return KeyedDiff(
        added=tuple(item for name, item in new.items() if name not in old),
        removed=tuple(item for name, item in old.items() if name not in new),
        changed=tuple(changed),
    )


def _attendee_key(attendee: Item) -> str:
    return f"{attendee['name']}|{attendee['agency']}|{attendee['unit']}"


def _outcomes(body: Mapping[str, Any]) -> list[Item]:
    return [
        {
            "case_id": case["case_id"],
            "outcome_id": case["outcome"]["outcome_id"],
            "summary": case["outcome"]["summary"],
            "decision": case["outcome"]["decision"],
        }
        for case in body["cases"]
        if case["outcome"] is not None
    ]


def _actions(body: Mapping[str, Any]) -> list[Item]:
    return [
        {"case_id": case["case_id"], **action}
        for case in body["cases"]
        if case["outcome"] is not None
        for action in case["outcome"]["actions"]
    ]


def diff_minutes(before: Mapping[str, Any], after: Mapping[str, Any]) -> MinutesDiff:
    """The difference of two minutes versions' bodies (their canonical JSON, parsed)."""
    return MinutesDiff(
        attendees=_keyed(before["attendees"], after["attendees"], _attendee_key, ATTENDEE_FIELDS),
        outcomes=_keyed(
            _outcomes(before), _outcomes(after), lambda o: str(o["case_id"]), OUTCOME_FIELDS
        ),
        actions=_keyed(_actions(before), _actions(after), lambda a: str(a["id"]), ACTION_FIELDS),
    )
