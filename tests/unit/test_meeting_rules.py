"""The rules of a meeting's lifecycle, attendance, outcomes and actions (CONTRACT.md,
"Meetings (issue 8)"; guide 3.3.7: KiF calls and holds the meetings and presents the cases)."""

from __future__ import annotations

import datetime as dt

import pytest

from ksp.domain.actions import ActionStatus, ActionView, check_status_change, is_overdue
from ksp.domain.attendance import Agency, Attendee, AttendeeRole, check_attendance
from ksp.domain.errors import (
    DuplicateOutcome,
    InvalidInput,
    InvalidStatusTransition,
    MeetingCancelled,
    MeetingStatusConflict,
)
from ksp.domain.meeting_status import (
    MeetingStatus,
    Reschedule,
    check_cancellable,
    check_reschedule,
    ensure_not_cancelled,
    status_after_attendance,
    status_after_minutes,
)
from ksp.domain.outcomes import ActionDraft, OutcomeDecision, OutcomeDraft, check_outcome

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
MEETING_DAY = dt.date(2026, 12, 10)


def fields(caught: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [error.field for error in caught.value.errors]


def attendee(**changes: object) -> Attendee:
    values: dict[str, object] = {
        "name": "Mette Sekretær",
        "agency": Agency.KF,
        "unit": "kif-hovedstaden",
        "role": AttendeeRole.SECRETARY,
        "present": True,
        "confidentiality_acknowledged": True,
    }
    values.update(changes)
    return Attendee(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", list(MeetingStatus))
def test_only_a_cancelled_meeting_refuses_further_changes(status: MeetingStatus) -> None:
    """A cancelled meeting takes no list change, outcome or circulation (409)."""
    if status is MeetingStatus.CANCELLED:
        with pytest.raises(MeetingCancelled):
            ensure_not_cancelled(status)
    else:
        ensure_not_cancelled(status)


def test_a_planned_meeting_may_move_but_not_into_the_past() -> None:
    """Rescheduling needs a reason and a time that has not passed."""
    check_reschedule(
        MeetingStatus.PLANNED, Reschedule(reason="Lokalet er optaget", scheduled_for=NOW), NOW
    )
    past = NOW - dt.timedelta(minutes=1)
    with pytest.raises(InvalidInput) as caught:
        check_reschedule(MeetingStatus.PLANNED, Reschedule(reason="x", scheduled_for=past), NOW)
    assert fields(caught) == ["scheduled_for"]
    with pytest.raises(InvalidInput) as caught:
        check_reschedule(MeetingStatus.PLANNED, Reschedule(reason=" ", location="Lokale 2"), NOW)
    assert fields(caught) == ["reason"]


def test_a_held_meeting_keeps_its_time_but_its_place_may_be_corrected() -> None:
    """What has happened is not moved; a wrong location is still corrected."""
    with pytest.raises(MeetingStatusConflict):
        check_reschedule(MeetingStatus.HELD, Reschedule(reason="x", scheduled_for=NOW), NOW)
    check_reschedule(MeetingStatus.HELD, Reschedule(reason="Rettet", location="Lokale 2"), NOW)


def test_a_location_is_one_line() -> None:
    """The location goes into the invitation's LOCATION line."""
    with pytest.raises(InvalidInput) as caught:
        check_reschedule(
            MeetingStatus.PLANNED, Reschedule(reason="x", location="a\r\nATTENDEE:x"), NOW
        )
    assert fields(caught) == ["location"]


def test_a_closed_or_cancelled_meeting_cannot_be_cancelled() -> None:
    """Cancelling is for meetings not yet closed; it needs a reason."""
    check_cancellable(MeetingStatus.PLANNED, "Aflyst pga. sygdom")
    for status in (MeetingStatus.CLOSED, MeetingStatus.CANCELLED):
        with pytest.raises(MeetingStatusConflict):
            check_cancellable(status, "x")
    with pytest.raises(InvalidInput):
        check_cancellable(MeetingStatus.PLANNED, "")


def test_attendance_makes_a_meeting_held_and_minutes_close_it() -> None:
    """planned → held (attendance) → closed (minutes)."""
    assert status_after_attendance(MeetingStatus.PLANNED) is MeetingStatus.HELD
    assert status_after_attendance(MeetingStatus.CLOSED) is MeetingStatus.CLOSED
    assert status_after_minutes(MeetingStatus.HELD) is MeetingStatus.CLOSED
    with pytest.raises(MeetingStatusConflict):
        status_after_minutes(MeetingStatus.PLANNED)
    with pytest.raises(MeetingCancelled):
        status_after_attendance(MeetingStatus.CANCELLED)


def test_everyone_present_has_acknowledged_confidentiality() -> None:
    """Each attendee's confidentiality undertaking is recorded; none present without it."""
    check_attendance([attendee(), attendee(present=False, confidentiality_acknowledged=False)])
    with pytest.raises(InvalidInput) as caught:
        check_attendance([attendee(confidentiality_acknowledged=False)])
    assert fields(caught) == ["attendees[0].confidentiality_acknowledged"]


def test_attendance_needs_someone_present_and_at_most_one_chair() -> None:
    """An empty or absent-only meeting was not held; two chairs is a typing error."""
    with pytest.raises(InvalidInput):
        check_attendance([])
    with pytest.raises(InvalidInput):
        check_attendance([attendee(present=False)])
    with pytest.raises(InvalidInput) as caught:
        check_attendance([attendee(role=AttendeeRole.CHAIR), attendee(role=AttendeeRole.CHAIR)])
    assert fields(caught) == ["attendees"]


def test_an_attendee_name_and_unit_are_checked() -> None:
    """Names are one line; units are slugs."""
    with pytest.raises(InvalidInput) as caught:
        check_attendance([attendee(name="a\nb", unit="Kif Hovedstaden")])
    assert fields(caught) == ["attendees[0].name", "attendees[0].unit"]


def outcome(**changes: object) -> OutcomeDraft:
    values: dict[str, object] = {
        "case_id": "c1",
        "summary": "Drøftet; kommunen følger op",
        "decision": OutcomeDecision.FOLLOW_UP,
        "actions": (
            ActionDraft(Agency.MUNICIPALITY, "kommune-101", "Kontakt borgeren", MEETING_DAY),
        ),
    }
    values.update(changes)
    return OutcomeDraft(**values)  # type: ignore[arg-type]


def check(draft: OutcomeDraft, current: dict[str, str] | None = None) -> None:
    check_outcome(
        draft,
        meeting_day=MEETING_DAY,
        listed_case_ids={"c1", "c2"},
        current_outcome_by_case=current or {},
    )


def test_an_outcome_is_for_a_case_on_the_latest_list() -> None:
    """Guide 3.3.7: the cases KiF presents are those on the meeting's KSP list."""
    check(outcome())
    with pytest.raises(InvalidInput) as caught:
        check(outcome(case_id="c9"))
    assert fields(caught) == ["case_id"]


def test_an_action_is_not_due_before_the_meeting() -> None:
    """An action agreed at a meeting cannot be due before it was agreed."""
    early = ActionDraft(Agency.POLICE, "politi-koebenhavn", "Samtale", dt.date(2026, 12, 9))
    with pytest.raises(InvalidInput) as caught:
        check(outcome(actions=(early,)))
    assert fields(caught) == ["actions[0].due_on"]


def test_a_second_outcome_for_a_case_must_correct_the_current_one() -> None:
    """One current outcome per case; a correction names it in `corrects`."""
    with pytest.raises(DuplicateOutcome):
        check(outcome(), {"c1": "o1"})
    check(outcome(corrects="o1"), {"c1": "o1"})
    with pytest.raises(InvalidInput) as caught:
        check(outcome(corrects="o7"), {"c1": "o1"})
    assert fields(caught) == ["corrects"]


def action(status: ActionStatus = ActionStatus.OPEN, due_on: dt.date = MEETING_DAY) -> ActionView:
    return ActionView(
        id="a1",
        meeting_id="m1",
        case_id="c1",
        outcome_id="o1",
        agency="municipality",
        unit="kommune-101",
        description="Kontakt borgeren",
        due_on=due_on,
        status=status,
    )


def test_an_open_action_is_done_or_closed_as_not_done_with_a_note() -> None:
    """Not done: whether circumstances changed or the agency did not act, and a note."""
    check_status_change(ActionStatus.OPEN, ActionStatus.DONE, None)
    check_status_change(ActionStatus.OPEN, ActionStatus.NOT_DONE_AGENCY, "Ingen kontakt")
    with pytest.raises(InvalidInput) as caught:
        check_status_change(ActionStatus.OPEN, ActionStatus.NOT_DONE_CIRCUMSTANCES_CHANGED, None)
    assert fields(caught) == ["note"]
    with pytest.raises(InvalidStatusTransition):
        check_status_change(ActionStatus.DONE, ActionStatus.CANCELLED, "x")


def test_an_action_is_overdue_only_while_open_and_past_its_day() -> None:
    """Overdue: open, and its due date has passed."""
    assert not is_overdue(action(), MEETING_DAY)
    assert is_overdue(action(), MEETING_DAY + dt.timedelta(days=1))
    assert not is_overdue(action(ActionStatus.DONE), MEETING_DAY + dt.timedelta(days=1))
