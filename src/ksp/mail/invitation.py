"""The RFC 5545 invitation of a KSP meeting (``icalendar``): one stable UID per meeting,
SEQUENCE counting the reschedules, METHOD:REQUEST or, once cancelled, METHOD:CANCEL, and
times in Europe/Copenhagen with the zone's definition, so Outlook and Thunderbird show it as
an invitation. It holds no personal data of citizens: the meeting's title (refused if it
could name a person), place and time, and the function mailboxes invited."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress

from ksp.domain.invitation import InvitationFacts

__all__ = ["COPENHAGEN", "DEFAULT_DURATION", "invitation_ics"]

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
DEFAULT_DURATION = dt.timedelta(hours=2)
UID_DOMAIN = "ksp.kriminalforsorgen.dk"


def _event(facts: InvitationFacts) -> Event:
    event = Event()
    start = facts.scheduled_for.astimezone(COPENHAGEN)
    event.add("uid", f"{facts.meeting_id}@{UID_DOMAIN}")
    event.add("sequence", facts.sequence)
    event.add("dtstamp", facts.stamped_at.astimezone(dt.UTC))
    event.add("dtstart", start)
    event.add("dtend", start + DEFAULT_DURATION)
    event.add("summary", facts.title)
    if facts.location:
        event.add("location", facts.location)
    event.add("status", "CANCELLED" if facts.cancelled else "CONFIRMED")
    event.add("class", "CONFIDENTIAL")
    organizer = vCalAddress(f"mailto:{facts.organizer}")
    organizer.params["cn"] = "KSP-sekretariatet"
    event.add("organizer", organizer)
    for email in facts.attendees:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["role"] = "REQ-PARTICIPANT"
        attendee.params["rsvp"] = "FALSE"
        event.add("attendee", attendee)
    return event


def invitation_ics(facts: InvitationFacts) -> bytes:
    """The invitation as ``text/calendar`` bytes (CRLF lines, folded at 75 octets)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Kriminalforsorgen//KSP//DA")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if facts.cancelled else "REQUEST")
    calendar.add_component(_event(facts))
    # The zone's rules around the meeting only, not since 1970: a short, exact VTIMEZONE.
    day = facts.scheduled_for.date()
    calendar.add_missing_timezones(
        first_date=day - dt.timedelta(days=366), last_date=day + dt.timedelta(days=366)
    )
    ical: bytes = calendar.to_ical()
    return ical
