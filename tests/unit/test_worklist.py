"""KiF's worklist (CONTRACT.md, "Meetings (issue 8)", GET /worklist)."""

from __future__ import annotations

import datetime as dt

from ksp.domain.actions import ActionStatus, ActionView
from ksp.domain.meeting_status import MeetingStatus
from ksp.domain.working_days import add_working_days, is_working_day
from ksp.domain.worklist import DueItem, DueKind, MeetingFacts, due_items

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


def meeting(**changes: object) -> MeetingFacts:
    values: dict[str, object] = {
        "id": "m1",
        "status": MeetingStatus.PLANNED,
        "scheduled_for": NOW + dt.timedelta(days=3),
        "latest_list_version": 2,
        "latest_list_circulated": False,
        "held_on": None,
        "has_minutes": False,
    }
    values.update(changes)
    return MeetingFacts(**values)  # type: ignore[arg-type]


def due(
    *meetings: MeetingFacts, actions: tuple[ActionView, ...] = (), exchanges: tuple[str, ...] = ()
) -> list[DueItem]:
    return due_items(
        meetings=meetings, actions=actions, open_exchange_ids=exchanges, now=NOW, today=TODAY
    )


def test_a_list_not_circulated_is_due_within_seven_days_of_the_meeting() -> None:
    """A meeting within 7 days whose latest list version was not circulated."""
    assert [i.kind for i in due(meeting())] == [DueKind.LIST_NOT_CIRCULATED]
    assert due(meeting(latest_list_circulated=True)) == []
    assert due(meeting(scheduled_for=NOW + dt.timedelta(days=8))) == []
    assert due(meeting(latest_list_version=None)) == []
    assert due(meeting(status=MeetingStatus.CANCELLED)) == []


def test_minutes_are_due_three_working_days_after_the_meeting() -> None:
    """A held meeting without minutes after 3 working days (a weekend does not count)."""
    friday = dt.date(2026, 11, 27)
    held = meeting(status=MeetingStatus.HELD, held_on=friday, scheduled_for=NOW)
    # Friday + 3 working days is Wednesday 2 December; on Tuesday 1 December it is not due.
    assert due(held) == []
    items = due_items(
        meetings=[held], actions=(), open_exchange_ids=(), now=NOW, today=dt.date(2026, 12, 3)
    )
    assert items == [DueItem(DueKind.MINUTES_MISSING, "m1", "m1", dt.date(2026, 12, 2))]
    assert due(meeting(status=MeetingStatus.HELD, held_on=friday, has_minutes=True)) == []


def test_overdue_actions_open_exchanges_and_withdrawn_cases_are_due() -> None:
    """Overdue actions by due date, exchanges with open duties, withdrawn cases on a list."""
    late = ActionView(
        "a1",
        "m1",
        "c1",
        "o1",
        "police",
        "politi-fyn",
        "x",
        TODAY - dt.timedelta(days=1),
        ActionStatus.OPEN,
    )
    done = ActionView(
        "a2",
        "m1",
        "c1",
        "o1",
        "police",
        "politi-fyn",
        "x",
        TODAY - dt.timedelta(days=9),
        ActionStatus.DONE,
    )
    items = due(
        meeting(latest_list_circulated=True, withdrawn_case_ids=("c7",)),
        actions=(late, done),
        exchanges=("e1",),
    )
    assert [(i.kind, i.reference) for i in items] == [
        (DueKind.WITHDRAWN_CASE_ON_LIST, "c7"),
        (DueKind.ACTION_OVERDUE, "a1"),
        (DueKind.EXCHANGE_DUTIES_OPEN, "e1"),
    ]


def test_danish_public_holidays_and_the_states_days_off_are_not_working_days() -> None:
    """Easter, Christmas, Grundlovsdag and 24/31 December are days off in the state."""
    for day in (
        dt.date(2026, 4, 2),  # skærtorsdag
        dt.date(2026, 4, 6),  # 2. påskedag
        dt.date(2026, 6, 5),  # grundlovsdag
        dt.date(2026, 12, 24),
        dt.date(2026, 12, 31),
        dt.date(2026, 12, 5),  # a Saturday
    ):
        assert not is_working_day(day), day
    assert is_working_day(dt.date(2026, 12, 1))
    assert add_working_days(dt.date(2026, 12, 23), 1) == dt.date(2026, 12, 28)
