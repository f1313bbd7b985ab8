"""The meeting's invitation (CONTRACT.md, "Meetings (issue 8)": RFC 5545, METHOD:REQUEST or
CANCEL, one stable UID, SEQUENCE counting reschedules, Europe/Copenhagen, no personal data)."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar

from ksp.domain.invitation import InvitationFacts
from ksp.mail.invitation import invitation_ics

WHEN = dt.datetime(2026, 7, 2, 8, 0, tzinfo=dt.UTC)  # 10.00 Danish summer time


def facts(**changes: object) -> InvitationFacts:
    values: dict[str, object] = {
        "meeting_id": "3f1c",
        "title": "KSP-møde København",
        "location": "Politigården, lokale 3",
        "scheduled_for": WHEN,
        "sequence": 0,
        "cancelled": False,
        "organizer": "ksp@kriminalforsorgen.dk",
        "attendees": ["ksp@kk.dk", "ksp@politi.dk"],
        "stamped_at": dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
    }
    values.update(changes)
    return InvitationFacts(**values)  # type: ignore[arg-type]


def parsed(raw: bytes) -> Calendar:
    return Calendar.from_ical(raw)


def test_the_invitation_is_a_request_in_copenhagen_time_with_a_stable_uid() -> None:
    """METHOD:REQUEST, DTSTART with TZID=Europe/Copenhagen at 10.00, and a VTIMEZONE."""
    raw = invitation_ics(facts())
    calendar = parsed(raw)
    assert calendar["method"] == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    start = event.decoded("dtstart")
    assert (start.hour, str(start.tzinfo)) == (10, "Europe/Copenhagen")
    assert str(event["uid"]) == "3f1c@ksp.kriminalforsorgen.dk"
    assert calendar.walk("VTIMEZONE")
    assert b"\r\n" in raw
    assert [str(a) for a in event["attendee"]] == ["mailto:ksp@kk.dk", "mailto:ksp@politi.dk"]


def test_a_reschedule_keeps_the_uid_and_raises_the_sequence() -> None:
    """Calendars update the same event: same UID, higher SEQUENCE."""
    first = parsed(invitation_ics(facts())).walk("VEVENT")[0]
    moved = parsed(invitation_ics(facts(sequence=1, scheduled_for=WHEN + dt.timedelta(days=1))))
    event = moved.walk("VEVENT")[0]
    assert event["uid"] == first["uid"]
    assert (first["sequence"], event["sequence"]) == (0, 1)


def test_a_cancelled_meeting_gives_method_cancel() -> None:
    """Once cancelled: METHOD:CANCEL and STATUS:CANCELLED, same UID."""
    calendar = parsed(invitation_ics(facts(cancelled=True, sequence=2)))
    assert calendar["method"] == "CANCEL"
    assert calendar.walk("VEVENT")[0]["status"] == "CANCELLED"


def test_a_title_cannot_add_lines_to_the_invitation() -> None:
    """Text values are escaped and folded; a comma or semicolon stays inside its value."""
    raw = invitation_ics(facts(title="Møde; lokale 2, bygning B", location=None))
    event = parsed(raw).walk("VEVENT")[0]
    assert str(event["summary"]) == "Møde; lokale 2, bygning B"
    assert "location" not in event
