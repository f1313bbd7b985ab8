"""Finding 3: header injection through the meeting title or a recipient's address.

The attack: a title holding an RFC 2047 encoded word with ``=0D=0A`` decoded to a raw CRLF
in the protected (inner) headers, so the signed, encrypted message carried a ``Reply-To:``
of the attacker's choice; an address in encoded-word form passed registration and made
every circulation to the meeting fail with 500. Both are refused at the door now, and a
title stored before the rule held is refused when the mail is built, never sent.
"""

from __future__ import annotations

import uuid
from email import message_from_bytes, policy
from email.message import Message

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.db.tables import circulations, meetings
from ksp.mail.pgpmime import read_encrypted_message
from ksp.settings import Settings
from support.clock import FixedClock
from support.data import Units
from support.flows import Auth, case_for_meeting, change_list, new_meeting
from support.keys import KeyMaker
from support.participants import KEY_MADE_AT, deliver_all, register, worker_for
from support.smtp import SmtpServer

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"
INJECTED_TITLES = {
    "q-encoded CRLF Reply-To": "=?utf-8?q?x=0D=0AReply-To:_evil@example.org?=",
    "b-encoded CRLF From": "Møde =?utf-8?b?DQpGcm9tOiBldmlsQGV4YW1wbGUub3Jn?=",
    "plain encoded word": "=?iso-8859-1?q?M=F8de?=",
    "CRLF": "Møde\r\nReply-To: evil@example.org",
    "LF": "Møde\nReply-To: evil@example.org",
    "CR": "Møde\rReply-To: evil@example.org",
    "VT": "Møde\x0bReply-To: evil@example.org",
    "FF": "Møde\x0cReply-To: evil@example.org",
    "NEL": "Møde\x85Reply-To: evil@example.org",
    "U+2028": "Møde\u2028Reply-To: evil@example.org",
    "U+2029": "Møde\u2029Reply-To: evil@example.org",
    "ESC": "Møde\x1b[2J",
    "RLO": "Møde \u202egro.elpmaxe@live",
}


@pytest.mark.parametrize("title", INJECTED_TITLES.values(), ids=INJECTED_TITLES.keys())
async def test_a_title_that_could_make_a_header_line_is_refused_naming_the_title(
    client: httpx.AsyncClient, auth: Auth, units: Units, title: str
) -> None:
    """Titles become the mail's subject: encoded words and every line separator are a 422."""
    response = await client.post(
        "/api/v1/meetings",
        json={
            "municipality_code": 101,
            "police_district": "koebenhavn",
            "scheduled_for": "2026-12-10T10:00:00+01:00",
            "title": title,
        },
        headers=auth("kif", units.kif),
    )
    assert response.status_code == 422, response.text
    assert response.json()["type"] == PROBLEMS + "validation"
    assert [e["field"] for e in response.json()["errors"]] == ["title"]
    assert "evil" not in response.text  # the value is never echoed


async def _prepared_meeting(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker, meeting: str
) -> tuple[str, str]:
    """A list version 1 and one participant; returns the document id and the address."""
    made = await change_list(
        client, auth, units, meeting, add=[await case_for_meeting(client, auth, units)]
    )
    assert made.status_code == 201, made.text
    email = f"r-{uuid.uuid4().hex[:8]}@kommune.dk"
    registered = await register(client, auth, units, keys, email)
    assert registered.status_code == 201, registered.text
    added = await client.post(
        f"/api/v1/meetings/{meeting}/participants",
        json={"recipient_id": registered.json()["id"]},
        headers=auth("kif", units.kif),
    )
    assert added.status_code == 201, added.text
    return str(made.json()["document_id"]), email


def _inner_headers(keys: KeyMaker, raw: bytes) -> Message:
    _outer, armour = read_encrypted_message(raw)
    decrypted = keys.decrypt(armour)
    assert decrypted.ok
    return message_from_bytes(decrypted.data)


async def test_the_inner_headers_that_arrive_are_exactly_the_ones_the_service_set(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
    settings: Settings,
) -> None:
    """A title that only talks about headers stays one Subject: decrypted at the real SMTP
    server, the protected headers hold one From, one To, no Reply-To, the subject as typed."""
    title = "KSP-møde Århus: Reply-To evil@example.org? =0D=0A"
    meeting = await new_meeting(client, auth, units, title=title)
    document, email = await _prepared_meeting(client, auth, units, keys, meeting)
    sent = await client.post(
        f"/api/v1/documents/{document}/versions/1/circulate", headers=auth("kif", units.kif)
    )
    assert sent.status_code == 202, sent.text
    await deliver_all(worker_for(app, smtp, clock))
    arrived = [m for m in smtp.messages if m.recipients == [email]]
    assert len(arrived) == 1
    outer = message_from_bytes(arrived[0].data)
    inner = _inner_headers(keys, arrived[0].data)
    for headers in (outer, inner):
        assert headers.get_all("Reply-To") is None
        assert headers.get_all("From") == [settings.mail_from]
        assert headers.get_all("To") == [email]
    decoded = message_from_bytes(bytes(inner), policy=policy.default)
    assert decoded["Subject"] == f"KSP-liste: {title}, version 1"


async def test_a_title_stored_before_the_rule_held_is_refused_when_the_mail_is_built(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    clock: FixedClock,
) -> None:
    """The attack's title, written straight into the database: the circulation answers 422
    naming the title (the header check in pgpmime), and nothing is queued."""
    meeting = str(uuid.uuid4())
    async with engine.begin() as connection:
        await connection.execute(
            insert(meetings).values(
                id=meeting,
                kif_unit=units.kif,
                municipality_code=101,
                police_district="koebenhavn",
                scheduled_for=clock.now(),
                title=INJECTED_TITLES["q-encoded CRLF Reply-To"],
                created_at=clock.now(),
                created_by_sub="legacy",
            )
        )
    document, _email = await _prepared_meeting(client, auth, units, keys, meeting)
    refused = await client.post(
        f"/api/v1/documents/{document}/versions/1/circulate", headers=auth("kif", units.kif)
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"] == PROBLEMS + "validation"
    assert [e["field"] for e in refused.json()["errors"]] == ["title"]
    async with engine.connect() as connection:
        stored = await connection.scalar(
            select(func.count())
            .select_from(circulations)
            .where(circulations.c.meeting_id == meeting)
        )
    assert stored == 0


@pytest.mark.parametrize(
    "local_part",
    ["=?utf-8?q?a=0D=0ABcc:_x@example.org?=", "=?utf-8?q?rita?="],
)
async def test_an_address_in_encoded_word_form_is_refused_at_registration(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker, local_part: str
) -> None:
    """The address passed the old check (and its key matched), then circulation failed with
    500: now registration answers 422 naming the e-mail, and nothing is stored."""
    email = f"{local_part}@kommune.dk"
    fingerprint = keys.make(f"X <{email}>", at=KEY_MADE_AT)
    response = await client.post(
        "/api/v1/recipients",
        json={
            "name": "X",
            "email": email,
            "agency": "municipality",
            "unit": units.participant,
            "openpgp_key": keys.public(fingerprint),
        },
        headers=auth("kif", units.kif),
    )
    assert response.status_code == 422, response.text
    assert response.json()["type"] == PROBLEMS + "validation"
    assert [e["field"] for e in response.json()["errors"]] == ["email"]
    listed = await client.get("/api/v1/recipients", headers=auth("kif", units.kif))
    assert listed.json()["items"] == []
