"""Minutes (referat) of a meeting (CONTRACT.md, "Meetings (issue 8)"): versions built from
attendance, outcomes and actions, journalised like the list's, over HTTP on SQLite and
PostgreSQL."""

from __future__ import annotations

import hashlib
import uuid
from email import parser as email_parser
from email import policy as email_policy

import httpx
from icalendar import Calendar
from litestar import Litestar
from test_circulation import _attachment
from test_meeting_management import ATTENDEE, Auth, listed_meeting, outcome

from ksp.mail.pgpmime import read_encrypted_message
from support.clock import FixedClock
from support.data import Units
from support.flows import access_log, new_meeting
from support.keys import KeyMaker
from support.participants import deliver_all, register, worker_for
from support.smtp import SmtpServer


async def held_meeting_with_outcome(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> tuple[str, str]:
    kif = auth("kif", units.kif)
    meeting_id, (case_id,) = await listed_meeting(client, auth, units)
    base = f"/api/v1/meetings/{meeting_id}"
    held = await client.put(f"{base}/attendance", json={"attendees": [ATTENDEE]}, headers=kif)
    assert held.status_code == 200, held.text
    made = await client.post(f"{base}/outcomes", json=outcome(case_id), headers=kif)
    assert made.status_code == 201, made.text
    return meeting_id, case_id


async def test_the_minutes_hold_attendance_outcomes_and_actions_and_close_the_meeting(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7 (KiF holds the meetings): the minutes name who attended and, per case on
    the agenda, the outcome and the actions; the first version closes the held meeting."""
    kif = auth("kif", units.kif)
    meeting_id, case_id = await held_meeting_with_outcome(client, auth, units)
    base = f"/api/v1/meetings/{meeting_id}"
    made = await client.post(f"{base}/minutes", json={"reason": "Referat"}, headers=kif)
    assert made.status_code == 201, made.text
    document_id = made.json()["document_id"]
    assert made.json()["version"] == 1
    assert (await client.get(base, headers=kif)).json()["status"] == "closed"
    read = await client.get(f"/api/v1/documents/{document_id}/versions/1", headers=kif)
    assert read.status_code == 200, read.text
    version = read.json()
    assert version["kind"] == "minutes"
    assert version["attendees"] == [ATTENDEE]
    (case,) = version["cases"]
    assert case["case_id"] == case_id
    assert case["outcome"]["decision"] == "follow-up"
    assert [a["description"] for a in case["outcome"]["actions"]] == ["Kontakt borgeren"]
    assert [e["case_id"] for e in version["entries"]] == [case_id]


async def test_each_call_makes_a_new_minutes_version_and_the_old_one_stays(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7 ("skal der oprettes et nyt dokument ... som skal journaliseres på ny"):
    a second call makes version 2; version 1 reads as before, and the journal verifies."""
    kif = auth("kif", units.kif)
    meeting_id, _ = await held_meeting_with_outcome(client, auth, units)
    base = f"/api/v1/meetings/{meeting_id}"
    first = (await client.post(f"{base}/minutes", json={"reason": "Udkast"}, headers=kif)).json()
    url = f"/api/v1/documents/{first['document_id']}/versions/1"
    before = (await client.get(url, headers=kif)).json()
    second = await client.post(f"{base}/minutes", json={"reason": "Rettet"}, headers=kif)
    assert (second.status_code, second.json()["version"]) == (201, 2)
    assert second.json()["document_id"] == first["document_id"]
    assert (await client.get(url, headers=kif)).json() == before
    listed = (await client.get(f"{base}/documents", headers=kif)).json()
    kinds = [(v["kind"], v["version"]) for v in listed["versions"]]
    assert kinds == [("list", 1), ("minutes", 1), ("minutes", 2)]
    assert listed["document_id"] != first["document_id"]  # the list's document
    diff = await client.get(
        f"/api/v1/documents/{first['document_id']}/diff?from=1&to=2", headers=kif
    )
    assert diff.status_code == 200, diff.text
    verified = await client.get("/api/v1/audit/verify", headers=auth("auditor", units.auditor))
    assert verified.json()["ok"] is True


async def test_a_planned_meeting_has_no_minutes(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Minutes are written for a held meeting: a planned one answers 409 meeting-status."""
    kif = auth("kif", units.kif)
    meeting_id = await new_meeting(client, auth, units)
    refused = await client.post(
        f"/api/v1/meetings/{meeting_id}/minutes", json={"reason": "For tidligt"}, headers=kif
    )
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/meeting-status")


async def test_a_cancelled_meeting_has_no_minutes(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """A cancelled meeting takes nothing more: 409 meeting-cancelled, nothing stored."""
    kif = auth("kif", units.kif)
    meeting_id = await new_meeting(client, auth, units)
    base = f"/api/v1/meetings/{meeting_id}"
    assert (await client.post(f"{base}/cancel", json={"reason": "Aflyst"}, headers=kif)).is_success
    refused = await client.post(f"{base}/minutes", json={"reason": "Referat"}, headers=kif)
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/meeting-cancelled")
    assert (await client.get(f"{base}/documents", headers=kif)).json()["versions"] == []


async def test_minutes_need_a_reason_and_another_units_kif_finds_no_meeting(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """An empty reason is refused naming `reason`; KiF of another unit gets 404."""
    kif = auth("kif", units.kif)
    meeting_id, _ = await held_meeting_with_outcome(client, auth, units)
    url = f"/api/v1/meetings/{meeting_id}/minutes"
    empty = await client.post(url, json={"reason": " "}, headers=kif)
    assert empty.status_code in (400, 422)
    assert [e["field"] for e in empty.json()["errors"]] == ["reason"]
    other = await client.post(url, json={"reason": "x"}, headers=auth("kif", units.other_kif))
    assert other.status_code == 404


async def test_reading_a_minutes_version_is_logged_with_its_subjects(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """The minutes show the listed people: an auditor's read of them is access-logged."""
    kif = auth("kif", units.kif)
    auditor = auth("auditor", units.auditor)
    meeting_id, _ = await held_meeting_with_outcome(client, auth, units)
    made = await client.post(
        f"/api/v1/meetings/{meeting_id}/minutes", json={"reason": "Referat"}, headers=kif
    )
    document_id = made.json()["document_id"]
    read = await client.get(f"/api/v1/documents/{document_id}/versions/1", headers=auditor)
    assert read.status_code == 200, read.text
    rows = await access_log(client, auditor)
    logged = [r for r in rows if r["resource_id"] == f"{document_id}/1"]
    assert [r["resource"] for r in logged] == ["document-version"]


async def test_a_minutes_version_is_circulated_through_the_same_path(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
) -> None:
    """Guide 3.3.7 ("via sikker mail"): the minutes go to the meeting's participants
    encrypted, carrying the version's canonical JSON and the meeting's invitation
    (text/calendar; method=REQUEST), as the list does."""
    kif = auth("kif", units.kif)
    meeting_id, _ = await held_meeting_with_outcome(client, auth, units)
    email = f"referat-{uuid.uuid4().hex[:8]}@kommune.dk"
    registered = await register(client, auth, units, keys, email)
    assert registered.status_code == 201, registered.text
    added = await client.post(
        f"/api/v1/meetings/{meeting_id}/participants",
        json={"recipient_id": registered.json()["id"]},
        headers=kif,
    )
    assert added.status_code == 201, added.text
    made = await client.post(
        f"/api/v1/meetings/{meeting_id}/minutes", json={"reason": "Referat"}, headers=kif
    )
    document_id = made.json()["document_id"]
    sent = await client.post(f"/api/v1/documents/{document_id}/versions/1/circulate", headers=kif)
    assert sent.status_code == 202, sent.text
    await deliver_all(worker_for(app, smtp, clock))
    (message,) = [m for m in smtp.messages if email in m.recipients]
    _, armour = read_encrypted_message(message.data)
    decrypted = keys.decrypt(armour)
    assert decrypted.ok
    inner = email_parser.BytesParser(policy=email_policy.default).parsebytes(decrypted.data)
    assert inner["Subject"] == "Referat af KSP-møde: KSP-møde København, version 1"
    (attached,) = [p for p in inner.walk() if p.get_content_type() == "application/json"]
    assert attached.get_filename() == "ksp-referat-v1.json"
    (html,) = [p for p in inner.walk() if p.get_content_type() == "text/html"]
    assert "Referat af KSP-møde" in html.get_content()
    assert hashlib.sha256(_attachment(decrypted.data)).hexdigest() == made.json()["sha256"]
    (part,) = [
        p
        for p in email_parser.BytesParser(policy=email_policy.default)
        .parsebytes(decrypted.data)
        .walk()
        if p.get_content_type() == "text/calendar"
    ]
    assert part.get_param("method") == "REQUEST"  # the invitation, inside the encryption
    calendar = Calendar.from_ical(part.get_content())
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert meeting_id in str(event["UID"])


async def test_the_minutes_render_in_danish_with_their_own_template(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.3.7 (KiF holds the meetings and keeps the minutes): the HTML of a minutes
    version is a referat, not a list: attendance, the outcome and decision per case, the
    actions with agency, unit and a Danish due date."""
    kif = auth("kif", units.kif)
    meeting_id, _ = await held_meeting_with_outcome(client, auth, units)
    made = await client.post(
        f"/api/v1/meetings/{meeting_id}/minutes", json={"reason": "Referat"}, headers=kif
    )
    read = await client.get(
        f"/api/v1/documents/{made.json()['document_id']}/versions/1",
        headers={**kif, "Accept": "text/html"},
    )
    assert read.status_code == 200, read.text
    assert read.headers["content-type"].startswith("text/html")
    page = read.text
    assert "<h1>Referat af KSP-møde: KSP-møde København</h1>" in page
    assert "KSP-liste" not in page
    attendance = page[page.index("<h2>Fremmøde</h2>") : page.index("<h2>Drøftede sager")]
    for shown in ("Mette Sekretær", "Kriminalforsorgen", "kif-hovedstaden", "Sekretær"):
        assert shown in attendance
    assert "Til stede" in attendance
    assert "Erkendt" in attendance
    cases = page[page.index("<h2>Drøftede sager (1)</h2>") :]
    assert "Drøftet; kommunen følger op" in cases
    assert "<dd>Opfølgning</dd>" in cases
    assert (
        "<td>Kontakt borgeren</td><td>Kommunen</td><td>kommune-101</td>"
        "<td>søndag 20. december 2026</td><td>Åben</td>"
    ) in cases


async def test_the_diff_of_two_minutes_versions_shows_attendance_outcomes_and_actions(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """CONTRACT.md: diffing works for the minutes as for the list, so it shows what the
    minutes hold: who attended, the outcome per case, the actions; the read is logged with
    the people of the cases whose outcome or actions changed."""
    kif = auth("kif", units.kif)
    auditor = auth("auditor", units.auditor)
    meeting_id, (first, second) = await listed_meeting(client, auth, units, count=2)
    base = f"/api/v1/meetings/{meeting_id}"
    await client.put(f"{base}/attendance", json={"attendees": [ATTENDEE]}, headers=kif)
    made = await client.post(f"{base}/outcomes", json=outcome(first), headers=kif)
    (action_id,) = made.json()["action_ids"]
    v1 = (await client.post(f"{base}/minutes", json={"reason": "Udkast"}, headers=kif)).json()

    apology = ATTENDEE | {"name": "Ole Afbud", "role": "participant", "present": False}
    corrected = [ATTENDEE | {"role": "chair"}, apology]
    assert (
        await client.put(f"{base}/attendance", json={"attendees": corrected}, headers=kif)
    ).status_code == 200
    assert (
        await client.post(f"{base}/outcomes", json=outcome(second, actions=[]), headers=kif)
    ).status_code == 201
    done = await client.post(
        f"/api/v1/actions/{action_id}/status", json={"status": "done"}, headers=kif
    )
    assert done.status_code == 200, done.text
    v2 = await client.post(f"{base}/minutes", json={"reason": "Rettet"}, headers=kif)
    assert v2.json()["version"] == 2

    diff = await client.get(
        f"/api/v1/documents/{v1['document_id']}/diff?from=1&to=2", headers=auditor
    )
    assert diff.status_code == 200, diff.text
    body = diff.json()
    assert (body["added"], body["removed"], body["changed"]) == ([], [], [])  # same agenda
    minutes = body["minutes"]
    assert minutes["attendees"]["added"] == [apology]
    assert minutes["attendees"]["removed"] == []
    (role,) = minutes["attendees"]["changed"]
    assert (role["fields"], role["before"]["role"], role["after"]["role"]) == (
        ["role"],
        "secretary",
        "chair",
    )
    assert [o["case_id"] for o in minutes["outcomes"]["added"]] == [second]
    assert minutes["outcomes"]["changed"] == []
    (status,) = minutes["actions"]["changed"]
    assert (status["key"], status["fields"]) == (action_id, ["status"])
    assert (status["before"]["status"], status["after"]["status"]) == ("open", "done")
    assert status["after"]["case_id"] == first
    rows = await access_log(client, auditor)
    (logged,) = [r for r in rows if r["resource_id"] == f"{v1['document_id']}/1..2"]
    assert (logged["resource"], logged["subject_count"]) == ("document-diff", 2)
