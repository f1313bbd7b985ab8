"""Notice recipients (CONTRACT.md, "S/MIME, notices and PDF (issue 11)"): a recipient with
``"delivery": "notice"`` needs no key; their mail, through the same circulation, outbox and
worker over a real SMTP server on loopback, is a notice signed by the service's S/MIME
certificate (``multipart/signed``, verified with the real ``openssl cms -verify`` against
the chain of ``GET /api/v1/mail/identity``) that holds no personal data, only that the
version is ready and a link, with ids only, to the page where participants read it."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from email import message_from_bytes, policy
from email.message import Message

import httpx
from litestar import Litestar
from test_smime_circulation import identity

from ksp.settings import Settings
from support.clock import FixedClock
from support.data import Units, case_body
from support.flows import Auth, case_for_meeting, change_list, new_meeting, take_part
from support.keys import KeyMaker
from support.participants import KEY_MADE_AT, deliver_all, worker_for
from support.participants import register as register_openpgp
from support.smime_open import OpenFailed, verify
from support.smtp import SmtpServer

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"


def address(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@kommune.dk"


async def register_notice(
    client: httpx.AsyncClient, auth: Auth, units: Units, email: str, **changes: object
) -> httpx.Response:
    body = {
        "name": "Modtager Af Meddelelser",
        "email": email,
        "agency": "municipality",
        "unit": units.participant,
        "delivery": "notice",
        **changes,
    }
    return await client.post("/api/v1/recipients", json=body, headers=auth("kif", units.kif))


def text_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode("utf-8").replace("\r\n", "\n")
    raise AssertionError("no text/plain part")


async def test_a_notice_recipient_without_any_key_is_accepted(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    made = await register_notice(client, auth, units, address("n"))
    assert made.status_code == 201, made.text
    assert made.json()["delivery"] == "notice"
    assert made.json()["fingerprint"] == ""
    listed = await client.get("/api/v1/recipients", headers=auth("kif", units.kif))
    shown = {r["id"]: r for r in listed.json()["items"]}
    assert shown[made.json()["id"]]["delivery"] == "notice"


async def test_a_notice_recipient_may_give_a_key_and_have_one_pinned_later(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """The key is optional, not forbidden: given, it passes the usual checks and is pinned;
    ``PUT /recipients/{id}/key`` pins one for a keyless notice recipient; both stay
    ``notice``."""
    with_key = await register_openpgp(client, auth, units, keys, address("k"), delivery="notice")
    assert with_key.status_code == 201, with_key.text
    assert (with_key.json()["delivery"], with_key.json()["format"]) == ("notice", "openpgp")
    assert len(with_key.json()["fingerprint"]) == 40
    email = address("l")
    keyless = (await register_notice(client, auth, units, email)).json()
    fingerprint = keys.make(f"Deltager <{email}>", at=KEY_MADE_AT)
    pinned = await client.put(
        f"/api/v1/recipients/{keyless['id']}/key",
        json={"openpgp_key": keys.public(fingerprint)},
        headers=auth("kif", units.kif),
    )
    assert pinned.status_code == 200, pinned.text
    assert (pinned.json()["fingerprint"], pinned.json()["delivery"]) == (fingerprint, "notice")


async def test_an_encrypted_recipient_without_a_key_is_still_refused(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    for delivery in ({}, {"delivery": "encrypted"}):
        refused = await client.post(
            "/api/v1/recipients",
            json={
                "name": "D",
                "email": address("e"),
                "agency": "police",
                "unit": units.participant,
                **delivery,
            },
            headers=auth("kif", units.kif),
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["type"] == PROBLEMS + "validation"
        assert refused.json()["errors"][0]["field"] == "certificate"


async def test_an_unknown_delivery_is_refused(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    refused = await register_notice(client, auth, units, address("u"), delivery="plain")
    assert refused.status_code in (400, 422), refused.text


async def test_a_mixed_circulation_gives_notice_recipients_a_signed_notice_without_personal_data(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
    settings: Settings,
) -> None:
    """Guide 3.3.7: one circulation to an OpenPGP participant and a notice recipient; the
    notice is signed by the service (openssl cms -verify), carries the link to the
    circulated-version page and none of the case's name, CPR number or concern; both
    deliveries are sent and shown per recipient."""
    meeting = await new_meeting(client, auth, units)
    body = case_body(units.kif)
    case_id = await case_for_meeting(
        client, auth, units, subject=body["subject"], concern=body["concern"]
    )
    made = (await change_list(client, auth, units, meeting, add=[case_id])).json()
    notice_email, openpgp_email = address("n"), address("p")
    notice = await register_notice(client, auth, units, notice_email)
    openpgp = await register_openpgp(client, auth, units, keys, openpgp_email)
    for recipient in (notice, openpgp):
        assert recipient.status_code == 201, recipient.text
        await take_part(client, auth("kif", units.kif), meeting, recipient.json()["id"])
    sent = await client.post(
        f"/api/v1/documents/{made['document_id']}/versions/1/circulate",
        headers=auth("kif", units.kif),
    )
    assert sent.status_code == 202, sent.text
    await deliver_all(worker_for(app, smtp, clock))

    message = next(m for m in smtp.messages if m.recipients == [notice_email])
    parsed = message_from_bytes(message.data, policy=policy.default)
    assert parsed.get_content_type() == "multipart/signed"
    assert parsed.get_param("protocol") == "application/pkcs7-signature"
    assert parsed["Subject"].startswith("KSP-liste version 1 er klar: møde ")
    chain = (await identity(client, auth, units))["smime_certificates"]
    signed_text = verify(message.data, chain)  # the signature holds for the service's chain
    assert b"Version 1 af listen" in signed_text
    text = text_of(parsed)
    link = f"{settings.sign_in.public_url}/moeder/{meeting}/udsendt/{made['document_id']}/1"
    assert link in text
    assert re.fullmatch(r"https?://[^/]+/moeder/[0-9a-f-]{36}/udsendt/[0-9a-f-]{36}/1", link)
    secrets = [body["subject"]["name"], body["subject"]["cpr"], body["concern"]]  # type: ignore[index]
    title = (await client.get(f"/api/v1/meetings/{meeting}", headers=auth("kif", units.kif))).json()
    for secret in [*secrets, title["title"], "Modtager Af Meddelelser"]:
        assert str(secret) not in text
        assert str(secret).encode() not in message.data
    tampered = message.data.replace(b"Version 1 af listen", b"Version 2 af listen")
    try:
        verify(tampered, chain)
    except OpenFailed:
        pass
    else:
        raise AssertionError("a changed notice still verified")

    status = await client.get(
        f"/api/v1/circulations/{sent.json()['circulation_id']}", headers=auth("kif", units.kif)
    )
    by_email = {r["email"]: r for r in status.json()["recipients"]}
    assert set(by_email) == {notice_email, openpgp_email}
    assert {r["status"] for r in by_email.values()} == {"sent"}
    assert by_email[notice_email]["fingerprint"] == ""
    encrypted = next(m for m in smtp.messages if m.recipients == [openpgp_email])
    assert message_from_bytes(encrypted.data).get_content_type() == "multipart/encrypted"


async def test_a_notice_recipient_of_a_cancelled_meeting_gets_a_signed_notice_of_it(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    smtp: SmtpServer,
    clock: FixedClock,
    settings: Settings,
) -> None:
    """The cancellation goes through the same one sealing path and outbox (retried while
    SMTP is down): a notice recipient gets a signed notice that the meeting is cancelled,
    with its page's link, and not the reason."""
    kif = auth("kif", units.kif)
    meeting = await new_meeting(client, auth, units)
    email = address("c")
    recipient = await register_notice(client, auth, units, email)
    await take_part(client, kif, meeting, recipient.json()["id"])
    reason = "Aflyst fordi Jens Hansen er syg"
    cancelled = await client.post(
        f"/api/v1/meetings/{meeting}/cancel", json={"reason": reason}, headers=kif
    )
    assert cancelled.status_code == 200, cancelled.text
    worker = worker_for(app, smtp, clock)
    smtp.stop()  # the same outbox: a failed attempt is retried with backoff
    try:
        await deliver_all(worker)
    finally:
        smtp.start()
    base = f"/api/v1/meetings/{meeting}/cancellation"
    retrying = (await client.get(base, headers=kif)).json()["recipients"]
    assert [(r["status"], r["attempts"]) for r in retrying] == [("retrying", 1)]
    clock.set(clock.now() + dt.timedelta(minutes=5))
    await deliver_all(worker)
    message = next(m for m in smtp.messages if m.recipients == [email])
    parsed = message_from_bytes(message.data, policy=policy.default)
    assert parsed.get_content_type() == "multipart/signed"
    assert parsed["Subject"].startswith("KSP-møde aflyst: ")
    verify(message.data, (await identity(client, auth, units))["smime_certificates"])
    text = text_of(parsed)
    assert "er aflyst" in text
    assert f"(log ind):\n{settings.sign_in.public_url}/moeder/{meeting}\n" in text
    assert "Jens Hansen" not in text
    assert b"Jens Hansen" not in message.data
    sent = (await client.get(base, headers=kif)).json()["recipients"]
    assert [(r["email"], r["status"], r["attempts"]) for r in sent] == [(email, "sent", 2)]
