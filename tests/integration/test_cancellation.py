"""Cancelling a meeting tells each participant (CONTRACT.md, "Meetings (issue 8)"): a signed,
encrypted notice without personal data carrying the invitation with METHOD:CANCEL, queued in
the cancelling transaction and delivered by the outbox worker over real SMTP on loopback,
on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from email import parser as email_parser
from email import policy as email_policy
from email.message import EmailMessage

import httpx
import pytest
from icalendar import Calendar
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from test_circulation import PROBLEMS

from ksp.db.tables import outbox
from ksp.mail.pgpmime import read_encrypted_message
from support.clock import FixedClock
from support.data import Units
from support.flows import Auth, new_meeting
from support.journal_lock import held_journal_lock, journal_lock_waiters
from support.keys import KeyMaker
from support.leaks import PersonalData, find_leaks, mail_views
from support.participants import KEY_MADE_AT, deliver_all, worker_for
from support.participants import meeting_with_participants as shared_meeting
from support.smtp import SmtpServer

STAFF_NAME = "Karin Deltagersen"  # a recipient's name: staff personal data
REASON = "Aflyst fordi Jens Hansen er syg"  # free text that names a person


async def meeting_with_participants(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker, count: int
) -> tuple[str, dict[str, object], list[str]]:
    """A meeting of units.kif with one case on its list and ``count`` participants, each
    registered under a staff member's name."""
    meeting = await shared_meeting(
        client, auth, units, keys, count, local_part="aflys", name=STAFF_NAME
    )
    return meeting.meeting_id, meeting.case, meeting.emails


def _part(inner: bytes, content_type: str) -> EmailMessage:
    parsed = email_parser.BytesParser(policy=email_policy.default).parsebytes(inner)
    (part,) = [p for p in parsed.walk() if p.get_content_type() == content_type]
    assert isinstance(part, EmailMessage)
    return part


def check_notice(
    keys: KeyMaker,
    raw: bytes,
    *,
    service_fingerprint: str,
    uid: str,
    meeting_id: str,
    personal: PersonalData,
) -> None:
    """One notice: encrypted, signed by the service, a CANCEL of ``uid`` at SEQUENCE 2, in
    Danish, and no personal data in any of its parts, before or after decryption."""
    outer, armour = read_encrypted_message(raw)
    assert outer["Subject"] == "Sikker meddelelse fra KSP-sekretariatet"
    decrypted = keys.decrypt(armour)
    assert decrypted.ok
    assert decrypted.valid  # signed by the service, and the signature checks out
    assert service_fingerprint in {decrypted.fingerprint, decrypted.pubkey_fingerprint}
    inner = decrypted.data
    subject = email_parser.BytesParser(policy=email_policy.default).parsebytes(inner)
    assert subject["Subject"] == "KSP-møde aflyst: fredag 11. december 2026"
    html = _part(inner, "text/html").get_content()
    assert "KSP-mødet er aflyst" in html
    assert "fredag 11. december 2026 kl. 10.00" in html
    assert "Rådhuset, lokale 3" in html
    calendar_part = _part(inner, "text/calendar")
    assert calendar_part.get_param("method") == "CANCEL"
    calendar = Calendar.from_ical(calendar_part.get_content())
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == uid
    assert int(event["SEQUENCE"]) == 2  # raised above the reschedule's 1
    assert str(event["STATUS"]) == "CANCELLED"
    attached = json.loads(_part(inner, "application/json").get_content())
    assert attached["kind"] == "cancellation"
    assert attached["meeting"]["id"] == meeting_id
    assert attached["sequence"] == 2
    leaks = find_leaks(mail_views("notice", raw) | mail_views("decrypted notice", inner), personal)
    assert leaks == [], "\n".join(str(f) for f in leaks)


async def test_cancelling_sends_each_participant_a_signed_cancel_of_the_same_invitation(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
) -> None:
    """RFC 5545 3.8.7.4 and RFC 5546 3.2.5: the CANCEL carries the invitation's UID and a
    SEQUENCE above the last one sent; in Danish, without personal data."""
    kif = auth("kif", units.kif)
    meeting_id, case, emails = await meeting_with_participants(client, auth, units, keys, 2)
    base = f"/api/v1/meetings/{meeting_id}"
    moved = await client.patch(
        base,
        json={
            "scheduled_for": "2026-12-11T10:00:00+01:00",
            "location": "Rådhuset, lokale 3",
            "reason": "Flyttet",
        },
        headers=kif,
    )
    assert moved.status_code == 200, moved.text
    before = Calendar.from_ical((await client.get(f"{base}/invitation.ics", headers=kif)).content)
    (invited,) = before.walk("VEVENT")
    assert int(invited["SEQUENCE"]) == 1
    assert (await client.get(f"{base}/cancellation", headers=kif)).json()["recipients"] == []

    cancelled = await client.post(f"{base}/cancel", json={"reason": REASON}, headers=kif)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    queued = (await client.get(f"{base}/cancellation", headers=kif)).json()
    assert queued["sequence"] == 2
    assert sorted((r["email"], r["status"]) for r in queued["recipients"]) == sorted(
        (e, "queued") for e in emails
    )
    await deliver_all(worker_for(app, smtp, clock))

    mine = [m for m in smtp.messages if set(m.recipients) & set(emails)]
    assert sorted(r for m in mine for r in m.recipients) == sorted(emails)
    keys.gpg("--import", stdin=app.state.mail.public_key().encode())
    service_fingerprint = app.state.mail.signing_fingerprint()
    personal = PersonalData(
        cprs={str(case["subject"]["cpr"])},  # type: ignore[index]
        names={str(case["subject"]["name"]), STAFF_NAME, "Jens Hansen"},  # type: ignore[index]
        texts={str(case["concern"]), REASON},
    )
    for message in mine:
        check_notice(
            keys,
            message.data,
            service_fingerprint=service_fingerprint,
            uid=str(invited["UID"]),
            meeting_id=meeting_id,
            personal=personal,
        )
    sent = (await client.get(f"{base}/cancellation", headers=kif)).json()
    assert {(r["status"], r["attempts"]) for r in sent["recipients"]} == {("sent", 1)}


async def test_cancellation_notices_are_retried_while_smtp_is_down(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
) -> None:
    """The notices go through the circulation's outbox: a failed attempt is retried with
    backoff, and each participant gets the notice once."""
    kif = auth("kif", units.kif)
    meeting_id, _, emails = await meeting_with_participants(client, auth, units, keys, 2)
    base = f"/api/v1/meetings/{meeting_id}"
    assert (await client.post(f"{base}/cancel", json={"reason": "Aflyst"}, headers=kif)).is_success
    worker = worker_for(app, smtp, clock)
    smtp.stop()
    try:
        await deliver_all(worker)
    finally:
        smtp.start()
    retrying = (await client.get(f"{base}/cancellation", headers=kif)).json()["recipients"]
    assert {(r["status"], r["attempts"], r["last_error"]) for r in retrying} == {
        ("retrying", 1, "connection failed")
    }
    clock.set(clock.now() + dt.timedelta(minutes=5))
    await deliver_all(worker)
    mine = [m for m in smtp.messages if set(m.recipients) & set(emails)]
    assert sorted(r for m in mine for r in m.recipients) == sorted(emails)
    sent = (await client.get(f"{base}/cancellation", headers=kif)).json()["recipients"]
    assert {(r["status"], r["attempts"]) for r in sent} == {("sent", 2)}


async def test_a_meeting_without_participants_is_cancelled_without_mail(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    kif = auth("kif", units.kif)
    meeting_id = await new_meeting(client, auth, units)
    base = f"/api/v1/meetings/{meeting_id}"
    assert (await client.post(f"{base}/cancel", json={"reason": "Aflyst"}, headers=kif)).is_success
    notices = (await client.get(f"{base}/cancellation", headers=kif)).json()
    assert (notices["status"], notices["recipients"]) == ("cancelled", [])


async def test_a_participant_key_expired_refuses_the_cancellation_and_stores_nothing(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    clock: FixedClock,
) -> None:
    """As for a circulation: every participant needs a usable key now, or nothing happens
    (the meeting stays planned, nothing is queued); KiF removes or renews the participant."""
    kif = auth("kif", units.kif)
    email = f"snart-{uuid.uuid4().hex[:6]}@politi.dk"
    fingerprint = keys.make(f"P <{email}>", at=KEY_MADE_AT, lifetime=dt.timedelta(days=60))
    meeting_id = await new_meeting(client, auth, units)
    registered = await client.post(
        "/api/v1/recipients",
        headers=kif,
        json={
            "name": "P",
            "email": email,
            "agency": "police",
            "unit": "politi-x",
            "openpgp_key": keys.public(fingerprint),
        },
    )
    assert registered.status_code == 201, registered.text
    base = f"/api/v1/meetings/{meeting_id}"
    added = await client.post(
        f"{base}/participants", json={"recipient_id": registered.json()["id"]}, headers=kif
    )
    assert added.status_code == 201, added.text
    clock.set(clock.now() + dt.timedelta(days=90))
    refused = await client.post(f"{base}/cancel", json={"reason": "Aflyst"}, headers=kif)
    assert refused.status_code == 422
    assert refused.json()["type"] == PROBLEMS + "recipient-key-unusable"
    assert (await client.get(base, headers=kif)).json()["status"] == "planned"
    async with engine.connect() as connection:
        rows = await connection.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.email == email)
        )
    assert rows == 0


async def test_cancelling_twice_is_refused_and_sends_no_second_notice(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    kif = auth("kif", units.kif)
    meeting_id, _, emails = await meeting_with_participants(client, auth, units, keys, 1)
    base = f"/api/v1/meetings/{meeting_id}"
    assert (await client.post(f"{base}/cancel", json={"reason": "Aflyst"}, headers=kif)).is_success
    again = await client.post(f"{base}/cancel", json={"reason": "Igen"}, headers=kif)
    assert again.status_code == 409
    assert again.json()["type"] == PROBLEMS + "meeting-status"
    notices = (await client.get(f"{base}/cancellation", headers=kif)).json()["recipients"]
    assert [r["email"] for r in notices] == emails


async def test_another_units_kif_finds_no_cancellation(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    meeting_id = await new_meeting(client, auth, units)
    foreign = await client.get(
        f"/api/v1/meetings/{meeting_id}/cancellation", headers=auth("kif", units.other_kif)
    )
    assert foreign.status_code == 404


async def test_a_meeting_moved_while_its_notices_were_sealed_is_not_cancelled(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    backend: str,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
) -> None:
    """Sealing holds no lock, so a reschedule can land meanwhile: the cancellation then gets
    409 when it comes to queue, the meeting stays planned with the reschedule's SEQUENCE, and
    no notice is stored (PostgreSQL, where the test can order the two on the journal's lock).
    """
    if backend != "postgres":
        pytest.skip("orders two requests on PostgreSQL's advisory lock")
    kif = auth("kif", units.kif)
    meeting_id, _, emails = await meeting_with_participants(client, auth, units, keys, 2)
    base = f"/api/v1/meetings/{meeting_id}"
    move = {"scheduled_for": "2026-12-11T10:00:00+01:00", "reason": "Flyttet"}
    async with held_journal_lock(engine):
        moved = asyncio.create_task(client.patch(base, json=move, headers=kif))
        await journal_lock_waiters(engine, 1)  # the reschedule queues first...
        cancel = asyncio.create_task(
            client.post(f"{base}/cancel", json={"reason": "Aflyst"}, headers=kif)
        )
        await journal_lock_waiters(engine, 2)  # ...then the sealed cancellation behind it
    assert (await moved).status_code == 200
    refused = await cancel
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"] == PROBLEMS + "conflict"
    meeting = (await client.get(base, headers=kif)).json()
    assert (meeting["status"], meeting["sequence"]) == ("planned", 1)
    async with engine.connect() as connection:
        queued = await connection.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.email.in_(emails))
        )
    assert queued == 0
