"""Meeting management (CONTRACT.md, "Meetings (issue 8)"): lifecycle, attendance, outcomes,
actions, worklist and invitation, over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
from icalendar import Calendar

from support.clock import FixedClock
from support.data import Units
from support.flows import access_log, case_for_meeting, change_list, new_meeting

Auth = Callable[..., dict[str, str]]

ATTENDEE = {
    "name": "Mette Sekretær",
    "agency": "kf",
    "unit": "kif-hovedstaden",
    "role": "secretary",
    "present": True,
    "confidentiality_acknowledged": True,
}


async def listed_meeting(
    client: httpx.AsyncClient, auth: Auth, units: Units, count: int = 1
) -> tuple[str, list[str]]:
    """A meeting of units.kif on 10 December with ``count`` cases on version 1 of its list."""
    meeting_id = await new_meeting(client, auth, units)
    case_ids = [await case_for_meeting(client, auth, units) for _ in range(count)]
    made = await change_list(client, auth, units, meeting_id, add=case_ids)
    assert made.status_code == 201, made.text
    return meeting_id, case_ids


def outcome(case_id: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "case_id": case_id,
        "summary": "Drøftet; kommunen følger op",
        "decision": "follow-up",
        "actions": [
            {
                "agency": "municipality",
                "unit": "kommune-101",
                "description": "Kontakt borgeren",
                "due_on": "2026-12-20",
            }
        ],
    }
    body.update(changes)
    return body


async def test_a_meeting_is_rescheduled_with_a_reason_and_its_sequence_counts(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """PATCH /meetings/{id}: time, place, title with a required reason; SEQUENCE counts moves."""
    kif = auth("kif", units.kif)
    meeting_id = await new_meeting(client, auth, units)
    url = f"/api/v1/meetings/{meeting_id}"
    moved = await client.patch(
        url,
        json={
            "scheduled_for": "2026-12-11T09:00:00+01:00",
            "location": "Lokale 2",
            "reason": "Ny dato",
        },
        headers=kif,
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["location"], body["sequence"], body["status"]) == ("Lokale 2", 1, "planned")
    assert dt.datetime.fromisoformat(body["scheduled_for"]) == dt.datetime(
        2026, 12, 11, 8, tzinfo=dt.UTC
    )
    no_reason = await client.patch(url, json={"location": "Lokale 3"}, headers=kif)
    assert no_reason.status_code == 400
    assert {"field": "reason", "message": "is required"} in no_reason.json()["errors"]


async def test_a_meeting_cannot_move_into_the_past(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """A reschedule into the past is refused, naming scheduled_for, and nothing changes."""
    kif = auth("kif", units.kif)
    meeting_id = await new_meeting(client, auth, units)
    url = f"/api/v1/meetings/{meeting_id}"
    past = await client.patch(
        url, json={"scheduled_for": "2026-11-01T09:00:00+01:00", "reason": "x"}, headers=kif
    )
    assert past.status_code == 422
    assert [e["field"] for e in past.json()["errors"]] == ["scheduled_for"]
    assert (await client.get(url, headers=kif)).json()["sequence"] == 0


async def test_a_cancelled_meeting_takes_no_list_change_attendance_or_outcome(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """CONTRACT.md: after cancelling, no list change, outcome or circulation (409
    meeting-cancelled)."""
    kif = auth("kif", units.kif)
    meeting_id, (case_id,) = await listed_meeting(client, auth, units)
    base = f"/api/v1/meetings/{meeting_id}"
    cancelled = await client.post(f"{base}/cancel", json={"reason": "Sygdom"}, headers=kif)
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    spare = await case_for_meeting(client, auth, units)
    refused = [
        await change_list(client, auth, units, meeting_id, add=[spare], base_version=1),
        await client.put(f"{base}/attendance", json={"attendees": [ATTENDEE]}, headers=kif),
        await client.post(f"{base}/outcomes", json=outcome(case_id), headers=kif),
        await client.post(f"{base}/cancel", json={"reason": "igen"}, headers=kif),
    ]
    assert [r.status_code for r in refused] == [409, 409, 409, 409]
    assert all(r.json()["type"].endswith("/meeting-cancelled") for r in refused[:3])
    assert refused[3].json()["type"].endswith("/meeting-status")


async def test_attendance_makes_the_meeting_held_and_its_read_is_logged(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Attendee names are staff personal data: kept in the journal, read with a log row."""
    kif = auth("kif", units.kif)
    meeting_id = await new_meeting(client, auth, units)
    url = f"/api/v1/meetings/{meeting_id}/attendance"
    recorded = await client.put(url, json={"attendees": [ATTENDEE]}, headers=kif)
    assert (recorded.status_code, recorded.json()["status"], recorded.json()["number"]) == (
        200,
        "held",
        1,
    )
    read = await client.get(url, headers=kif)
    assert read.json()["attendees"] == [ATTENDEE]
    rows = await access_log(client, auth("auditor", units.auditor))
    assert any(r["resource"] == "attendance" and r["resource_id"] == meeting_id for r in rows)


async def test_attendance_without_a_confidentiality_undertaking_is_refused(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Nobody is recorded present without having acknowledged confidentiality."""
    meeting_id = await new_meeting(client, auth, units)
    refused = await client.put(
        f"/api/v1/meetings/{meeting_id}/attendance",
        json={"attendees": [{**ATTENDEE, "confidentiality_acknowledged": False}]},
        headers=auth("kif", units.kif),
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "attendees[0].confidentiality_acknowledged"


async def test_an_outcome_opens_the_cases_notification_and_note_duties_guide_3_3_7(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7 ("Notatpligt og orientering"): discussing a case at a KSP meeting is an
    exchange of information; the detainee is told and it is noted, or why not."""
    kif = auth("kif", units.kif)
    meeting_id, (case_id,) = await listed_meeting(client, auth, units)
    made = await client.post(
        f"/api/v1/meetings/{meeting_id}/outcomes", json=outcome(case_id), headers=kif
    )
    assert made.status_code == 201, made.text
    exchange_id = made.json()["exchange_id"]
    open_duties = await client.get("/api/v1/exchanges", params={"open": "true"}, headers=kif)
    assert exchange_id in {item["id"] for item in open_duties.json()["items"]}
    listed = await client.get(f"/api/v1/meetings/{meeting_id}/outcomes", headers=kif)
    (item,) = listed.json()["items"]
    assert (item["case_id"], item["decision"], len(item["actions"])) == (case_id, "follow-up", 1)


async def test_an_outcome_needs_a_case_on_the_latest_list_and_actions_due_after_the_meeting(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """A case not on the latest list, or an action due before the meeting: 422 naming it."""
    kif = auth("kif", units.kif)
    meeting_id, (case_id,) = await listed_meeting(client, auth, units)
    url = f"/api/v1/meetings/{meeting_id}/outcomes"
    elsewhere = await case_for_meeting(client, auth, units)
    not_listed = await client.post(url, json=outcome(elsewhere), headers=kif)
    early = outcome(case_id)
    early["actions"][0]["due_on"] = "2026-12-09"
    too_early = await client.post(url, json=early, headers=kif)
    assert [e["field"] for e in not_listed.json()["errors"]] == ["case_id"]
    assert [e["field"] for e in too_early.json()["errors"]] == ["actions[0].due_on"]
    assert (await client.get(url, headers=kif)).json()["items"] == []


async def test_a_second_outcome_for_a_case_must_correct_the_first(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """One current outcome per case; a correction names it and replaces its open actions."""
    kif = auth("kif", units.kif)
    meeting_id, (case_id,) = await listed_meeting(client, auth, units)
    url = f"/api/v1/meetings/{meeting_id}/outcomes"
    first = (await client.post(url, json=outcome(case_id), headers=kif)).json()
    again = await client.post(url, json=outcome(case_id), headers=kif)
    assert (again.status_code, again.json()["type"].split("/")[-1]) == (409, "duplicate-outcome")
    corrected = await client.post(
        url,
        json=outcome(case_id, decision="no-further-action", actions=[], corrects=first["id"]),
        headers=kif,
    )
    assert corrected.status_code == 201, corrected.text
    (current,) = (await client.get(url, headers=kif)).json()["items"]
    assert (current["id"], current["corrects"]) == (corrected.json()["id"], first["id"])
    every = await client.get("/api/v1/actions", params={"status": "all"}, headers=kif)
    old = next(a for a in every.json()["items"] if a["id"] == first["action_ids"][0])
    assert old["status"] == "cancelled"


async def test_concurrent_outcomes_for_one_meeting_lose_no_update(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Parallel outcomes for different cases are all kept; for the same case one wins."""
    kif = auth("kif", units.kif)
    meeting_id, case_ids = await listed_meeting(client, auth, units, count=4)
    url = f"/api/v1/meetings/{meeting_id}/outcomes"
    answers = await asyncio.gather(
        *(client.post(url, json=outcome(c), headers=kif) for c in case_ids),
        client.post(url, json=outcome(case_ids[0]), headers=kif),
    )
    assert sorted(a.status_code for a in answers) == [201, 201, 201, 201, 409]
    assert len((await client.get(url, headers=kif)).json()["items"]) == 4


async def test_an_action_is_closed_by_its_unit_and_overdue_ones_are_listed(
    client: httpx.AsyncClient, auth: Auth, units: Units, clock: FixedClock
) -> None:
    """Actions have a status history; not done needs a note; overdue when open past due."""
    kif = auth("kif", units.kif)
    meeting_id, (case_id,) = await listed_meeting(client, auth, units)
    body = outcome(case_id)
    body["actions"][0]["unit"] = units.participant
    made = await client.post(f"/api/v1/meetings/{meeting_id}/outcomes", json=body, headers=kif)
    (action_id,) = made.json()["action_ids"]
    participant = auth("participant", units.participant)
    mine = await client.get("/api/v1/actions", headers=participant)
    assert [a["id"] for a in mine.json()["items"]] == [action_id]
    clock.set(dt.datetime(2026, 12, 21, 9, tzinfo=dt.UTC))
    overdue = await client.get("/api/v1/actions", params={"status": "overdue"}, headers=kif)
    assert [a["id"] for a in overdue.json()["items"]] == [action_id]
    url = f"/api/v1/actions/{action_id}/status"
    no_note = await client.post(url, json={"status": "not-done-agency"}, headers=participant)
    assert [e["field"] for e in no_note.json()["errors"]] == ["note"]
    done = await client.post(url, json={"status": "done"}, headers=participant)
    assert (done.status_code, done.json()["status"], done.json()["overdue"]) == (200, "done", False)
    again = await client.post(url, json={"status": "cancelled", "note": "x"}, headers=kif)
    assert again.status_code == 409


async def test_the_worklist_names_what_kif_has_to_do(
    client: httpx.AsyncClient, auth: Auth, units: Units, clock: FixedClock
) -> None:
    """A meeting within 7 days with an uncirculated list; later an overdue action."""
    kif = auth("kif", units.kif)
    meeting_id, (case_id,) = await listed_meeting(client, auth, units)
    clock.set(dt.datetime(2026, 12, 5, 9, tzinfo=dt.UTC))
    items = (await client.get("/api/v1/worklist", headers=kif)).json()["items"]
    assert {
        "kind": "list-not-circulated",
        "reference": meeting_id,
        "meeting_id": meeting_id,
        "due_on": "2026-12-10",
    } in items
    made = await client.post(
        f"/api/v1/meetings/{meeting_id}/outcomes", json=outcome(case_id), headers=kif
    )
    clock.set(dt.datetime(2026, 12, 21, 9, tzinfo=dt.UTC))
    items = (await client.get("/api/v1/worklist", headers=kif)).json()["items"]
    kinds = {(i["kind"], i["reference"]) for i in items}
    assert ("action-overdue", made.json()["action_ids"][0]) in kinds
    assert ("exchange-duties-open", made.json()["exchange_id"]) in kinds


async def test_the_invitation_is_an_rfc_5545_request_then_a_cancel(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """GET invitation.ics: METHOD:REQUEST, one UID, Copenhagen time; CANCEL once cancelled."""
    kif = auth("kif", units.kif)
    meeting_id = await new_meeting(client, auth, units)
    url = f"/api/v1/meetings/{meeting_id}/invitation.ics"
    first = await client.get(url, headers=kif)
    assert first.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(first.content)
    event = calendar.walk("VEVENT")[0]
    assert (calendar["method"], event.decoded("dtstart").hour) == ("REQUEST", 10)
    await client.post(
        f"/api/v1/meetings/{meeting_id}/cancel", json={"reason": "Aflyst"}, headers=kif
    )
    cancelled = Calendar.from_ical((await client.get(url, headers=kif)).content)
    assert cancelled["method"] == "CANCEL"
    assert cancelled.walk("VEVENT")[0]["uid"] == event["uid"]
    assert cancelled.walk("VEVENT")[0]["sequence"] > event["sequence"]
