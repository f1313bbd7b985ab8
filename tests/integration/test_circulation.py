"""Encrypted circulation of KSP lists by mail (guide 3.3.7, issue 4): through a real SMTP
server on loopback (aiosmtpd, STARTTLS and AUTH required), decrypted with each recipient's
own key made in the test."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import uuid
from email import message_from_bytes
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.bootstrap import journal_signer
from ksp.cli import main as ksp_main
from ksp.db.tables import outbox
from ksp.mail.mime_parts import RECEIPT_TYPE
from ksp.mail.pgpmime import read_encrypted_message
from ksp.settings import Settings
from support.clock import FixedClock
from support.data import Units
from support.flows import Auth, case_for_meeting, change_list, new_meeting
from support.journal_lock import held_journal_lock, journal_lock_waiters
from support.keys import KeyMaker
from support.participants import (
    KEY_MADE_AT,
    circulate_to,
    deliver_all,
    worker_for,
)
from support.smtp import SmtpServer

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"


async def test_each_participant_gets_one_signed_message_only_they_can_decrypt_guide_3_3_7(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """Guide 3.3.7: "Til eksterne samarbejdsparter skal dette ske via sikker mail"."""
    sent = await circulate_to(client, auth, units, keys, 2)
    assert sent.response.status_code == 202, sent.response.text
    assert {r["status"] for r in sent.response.json()["recipients"]} == {"queued"}
    await deliver_all(worker_for(app, smtp, clock))
    mine = [m for m in smtp.messages if set(m.recipients) & set(sent.emails)]
    assert sorted(r for m in mine for r in m.recipients) == sorted(sent.emails)
    version = await client.get(
        f"/api/v1/documents/{sent.document_id}/versions/1", headers=auth("kif", units.kif)
    )
    only_second = KeyMaker(tmp_path / "only-second")  # holds the second recipient's key alone
    request.addfinalizer(only_second.close)  # stop its gpg-agent
    only_second.gpg("--import", stdin=keys.secret(sent.fingerprints[sent.emails[1]]).encode())
    service_key = app.state.mail.public_key()  # as `ksp mail key` prints it
    keys.gpg("--import", stdin=service_key.encode())
    service_fingerprint = app.state.mail.signing_fingerprint()
    for message in mine:
        assert len(message.recipients) == 1
        outer, armour = read_encrypted_message(message.data)
        assert outer["Subject"] == "Sikker meddelelse fra KSP-sekretariatet"
        decrypted = keys.decrypt(armour)
        assert decrypted.ok
        if message.recipients == [sent.emails[0]]:
            assert not only_second.decrypt(armour).ok  # not with another recipient's key
        assert decrypted.valid  # signed, and the signature checks out
        assert service_fingerprint in {decrypted.fingerprint, decrypted.pubkey_fingerprint}
        inner = decrypted.data
        assert b'protected-headers="v1"' in inner
        assert b"KSP-liste:" in inner
        for secret in (
            sent.body["subject"]["name"],
            sent.body["subject"]["cpr"],  # type: ignore[index]
            sent.body["concern"],
        ):
            assert str(secret).encode() not in message.data
        attachment = _attachment(inner)
        assert hashlib.sha256(attachment).hexdigest() == version.json()["sha256"]
        assert _content_types(inner) >= {"application/json", "application/pdf", "text/calendar"}
        printed = PdfReader(io.BytesIO(_attachment(inner, "application/pdf"))).pages[0]
        assert "side 1 af 1" in printed.extract_text()
    status = await client.get(
        f"/api/v1/circulations/{sent.response.json()['circulation_id']}",
        headers=auth("kif", units.kif),
    )
    assert {r["status"] for r in status.json()["recipients"]} == {"sent"}


async def test_each_message_carries_a_receipt_that_its_version_is_in_the_journal(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
    settings: Settings,
    tmp_path: Path,
) -> None:
    """The version's C2SP tlog-proof@v1 receipt rides inside the encryption, named after
    the document; `ksp journal verify-receipt` holds it for the attached JSON alone."""
    sent = await circulate_to(client, auth, units, keys, 1)
    assert sent.response.status_code == 202, sent.response.text
    await deliver_all(worker_for(app, smtp, clock))
    (message,) = [m for m in smtp.messages if m.recipients == sent.emails]
    inner = keys.decrypt(read_encrypted_message(message.data)[1]).data
    parts = {p.get_filename(): p for p in message_from_bytes(inner).walk() if p.get_filename()}
    assert parts["ksp-liste-v1.tlog-proof"].get_content_type() == RECEIPT_TYPE
    receipt = parts["ksp-liste-v1.tlog-proof"].get_payload(decode=True)
    assert isinstance(receipt, bytes)
    assert receipt.startswith(b"c2sp.org/tlog-proof@v1\nextra ")
    (tmp_path / "v1.tlog-proof").write_bytes(receipt)
    (tmp_path / "v1.json").write_bytes(_attachment(inner))
    (tmp_path / "other.json").write_bytes(b'{"not":"it"}')
    vkey = journal_signer(settings).vkey
    for document, wanted in (("v1.json", 0), ("other.json", 1)):
        args = ["journal", "verify-receipt", str(tmp_path / "v1.tlog-proof")]
        args += ["--document", str(tmp_path / document), "--journal-key", vkey]
        assert ksp_main(args) == wanted


def _attachment(inner: bytes, content_type: str = "application/json") -> bytes:
    for part in message_from_bytes(inner).walk():
        if part.get_content_type() == content_type:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload
    raise AssertionError(f"no {content_type} attachment")


def _content_types(inner: bytes) -> set[str]:
    return {part.get_content_type() for part in message_from_bytes(inner).walk()}


async def test_only_the_latest_version_is_circulated(
    client: httpx.AsyncClient,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
) -> None:
    """CONTRACT.md: circulating anything but the latest version is a 409."""
    sent = await circulate_to(client, auth, units, keys, 1)
    meeting = (
        await client.get(
            f"/api/v1/documents/{sent.document_id}/versions/1", headers=auth("kif", units.kif)
        )
    ).json()["meeting_id"]
    other = await case_for_meeting(client, auth, units)
    await change_list(client, auth, units, meeting, add=[other], base_version=1)
    stale = await client.post(
        f"/api/v1/documents/{sent.document_id}/versions/1/circulate", headers=auth("kif", units.kif)
    )
    assert stale.status_code == 409
    assert stale.json()["type"] == PROBLEMS + "not-latest-version"


async def test_a_version_overtaken_while_it_was_being_sealed_is_not_queued(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    backend: str,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
) -> None:
    """Sealing holds no lock, so a list change can land meanwhile: the circulation then
    gets 409 when it comes to queue, and nothing of it is stored (PostgreSQL, where the
    test can order the two on the journal's lock)."""
    if backend != "postgres":
        pytest.skip("orders two requests on PostgreSQL's advisory lock")
    sent = await circulate_to(client, auth, units, keys, 3)
    kif = auth("kif", units.kif)
    version = f"/api/v1/documents/{sent.document_id}/versions/1"
    meeting = (await client.get(version, headers=kif)).json()["meeting_id"]
    other = await case_for_meeting(client, auth, units)
    async with held_journal_lock(engine):
        change = asyncio.create_task(
            change_list(client, auth, units, meeting, add=[other], base_version=1)
        )
        await journal_lock_waiters(engine, 1)  # the change queues first...
        again = {"again": True, "reason": "Sendt igen i testen"}  # version 1 went out above
        circulation = asyncio.create_task(
            client.post(f"{version}/circulate", headers=kif, json=again)
        )
        await journal_lock_waiters(engine, 2)  # ...then the sealed circulation behind it
    assert (await change).status_code == 201
    overtaken = await circulation
    assert overtaken.status_code == 409, overtaken.text
    assert overtaken.json()["type"] == PROBLEMS + "not-latest-version"
    async with engine.connect() as connection:
        queued = await connection.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.email.in_(sent.emails))
        )
    assert queued == len(sent.emails)  # only the first circulation's messages


async def test_a_key_that_expired_since_registration_stops_the_circulation_and_queues_nothing(
    client: httpx.AsyncClient,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    clock: FixedClock,
) -> None:
    """Every participant must have a usable key right now, or nothing is queued."""
    email = f"soon-{uuid.uuid4().hex[:6]}@politi.dk"
    fingerprint = keys.make(f"P <{email}>", at=KEY_MADE_AT, lifetime=dt.timedelta(days=60))
    meeting = await new_meeting(client, auth, units)
    made = (
        await change_list(
            client, auth, units, meeting, add=[await case_for_meeting(client, auth, units)]
        )
    ).json()
    registered = await client.post(
        "/api/v1/recipients",
        headers=auth("kif", units.kif),
        json={
            "name": "P",
            "email": email,
            "agency": "police",
            "unit": "politi-x",
            "openpgp_key": keys.public(fingerprint),
        },
    )
    assert registered.status_code == 201, registered.text
    await client.post(
        f"/api/v1/meetings/{meeting}/participants",
        json={"recipient_id": registered.json()["id"]},
        headers=auth("kif", units.kif),
    )
    clock.set(clock.now() + dt.timedelta(days=90))
    refused = await client.post(
        f"/api/v1/documents/{made['document_id']}/versions/1/circulate",
        headers=auth("kif", units.kif),
    )
    assert refused.status_code == 422
    assert refused.json()["type"] == PROBLEMS + "recipient-key-unusable"


async def test_smtp_down_during_a_circulation_to_30_then_back_delivers_each_exactly_once(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
) -> None:
    """Temporary failures retry with backoff; when the server is back all 30 arrive once."""
    sent = await circulate_to(client, auth, units, keys, 30)
    assert sent.response.status_code == 202, sent.response.text
    worker = worker_for(app, smtp, clock)
    smtp.stop()
    try:
        await deliver_all(worker)
    finally:
        smtp.start()
    circulation = sent.response.json()["circulation_id"]
    status = await client.get(f"/api/v1/circulations/{circulation}", headers=auth("kif", units.kif))
    rows = status.json()["recipients"]
    assert {(r["status"], r["attempts"], r["last_error"]) for r in rows} == {
        ("retrying", 1, "connection failed")
    }
    await deliver_all(worker)  # not due yet: backoff
    assert not [m for m in smtp.messages if set(m.recipients) & set(sent.emails)]
    clock.set(clock.now() + dt.timedelta(minutes=5))
    await deliver_all(worker)
    mine = [m for m in smtp.messages if set(m.recipients) & set(sent.emails)]
    assert sorted(r for m in mine for r in m.recipients) == sorted(sent.emails)
    assert len({m.message_id for m in mine}) == 30
    status = await client.get(f"/api/v1/circulations/{circulation}", headers=auth("kif", units.kif))
    assert {(r["status"], r["attempts"]) for r in status.json()["recipients"]} == {("sent", 2)}


def _two_keys(keys: KeyMaker, email: str) -> str:
    return keys.public(
        keys.make(f"A <{email}>", at=KEY_MADE_AT), keys.make(f"B <{email}>", at=KEY_MADE_AT)
    )


UNUSABLE = {
    "expired": lambda keys, email: keys.public(
        keys.make(
            f"X <{email}>", at=KEY_MADE_AT - dt.timedelta(days=800), lifetime=dt.timedelta(days=365)
        )
    ),
    "encryption subkey expired": lambda keys, email: keys.public(
        keys.make(
            f"X <{email}>",
            at=KEY_MADE_AT - dt.timedelta(days=800),
            encryption_lifetime=dt.timedelta(days=365),
        )
    ),
    "sign-only": lambda keys, email: keys.public(
        keys.make(f"X <{email}>", at=KEY_MADE_AT, encryption=False)
    ),
    "user ID without the address": lambda keys, email: keys.public(
        keys.make(f"X <other-{email}>", at=KEY_MADE_AT)
    ),
    "two keys": _two_keys,
    "garbage": lambda _keys, _email: "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbm9wZQ==\n",
}


@pytest.mark.parametrize("kind", [*UNUSABLE, "revoked", "fingerprint mismatch"])
async def test_an_unusable_key_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    kind: str,
) -> None:
    """CONTRACT.md: expired, revoked, cannot encrypt, no user ID with the e-mail, not exactly
    one key, or not the confirmed fingerprint: 422 recipient-key-unusable, nothing stored."""
    email = f"k-{uuid.uuid4().hex[:8]}@kommune.dk"
    extra: dict[str, str] = {}
    if kind == "revoked":
        fingerprint = keys.make(f"X <{email}>", at=KEY_MADE_AT)
        keys.revoke(fingerprint)
        armoured = keys.public(fingerprint)
    elif kind == "fingerprint mismatch":
        armoured = keys.public(keys.make(f"X <{email}>", at=KEY_MADE_AT))
        extra["fingerprint"] = keys.make(f"Y <{email}>", at=KEY_MADE_AT)
    else:
        armoured = UNUSABLE[kind](keys, email)
    response = await client.post(
        "/api/v1/recipients",
        headers=auth("kif", units.kif),
        json={
            "name": "X",
            "email": email,
            "agency": "municipality",
            "unit": units.participant,
            "openpgp_key": armoured,
            **extra,
        },
    )
    assert response.status_code == 422, response.text
    assert response.json()["type"] == PROBLEMS + "recipient-key-unusable"
    listed = await client.get("/api/v1/recipients", headers=auth("kif", units.kif))
    assert listed.json()["items"] == []
