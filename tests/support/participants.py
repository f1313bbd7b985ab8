"""A meeting with participants, circulated or cancelled, and the outbox worker that delivers
to the test SMTP server: the one set-up of test_circulation, test_cancellation,
test_delivery_give_up and the delivery tests.

Each participant is registered with an OpenPGP key of their own (made in ``keys``) and
added to a new meeting of ``units.kif`` whose list holds one case.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import httpx
import pytest
from litestar import Litestar

from ksp.mail.transport import ConnectionLimits, SmtpConfig, SmtpTransport
from ksp.mail.worker import OutboxWorker
from ksp.services.ports import Clock
from support.clock import FixedClock
from support.data import Units, case_body
from support.flows import Auth, case_for_meeting, change_list, new_meeting
from support.keys import KeyMaker
from support.smtp import PASSWORD, USER, SmtpServer

KEY_MADE_AT = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
SENDER = "ksp@kriminalforsorgen.dk"


async def register(
    client: httpx.AsyncClient,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    email: str,
    **changes: object,
) -> httpx.Response:
    """``POST /recipients`` with a key made now for ``email`` (``changes`` over the body)."""
    fingerprint = keys.make(f"Deltager <{email}>", at=KEY_MADE_AT)
    body = {
        "name": "Deltager",
        "email": email,
        "agency": "municipality",
        "unit": units.participant,
        "openpgp_key": keys.public(fingerprint),
        **changes,
    }
    return await client.post("/api/v1/recipients", json=body, headers=auth("kif", units.kif))


@dataclass
class Participants:
    meeting_id: str
    document_id: str  # the meeting's list, version 1 holding ``case``
    case: dict[str, object]  # the case's body as submitted
    emails: list[str]
    fingerprints: dict[str, str]  # by e-mail


async def meeting_with_participants(
    client: httpx.AsyncClient,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    count: int,
    *,
    local_part: str = "r",
    **changes: object,
) -> Participants:
    """A meeting of units.kif with one case on its list and ``count`` participants,
    ``{local_part}{i}-{tag}@kommune.dk``, registered with ``changes`` over the body."""
    kif = auth("kif", units.kif)
    tag = uuid.uuid4().hex[:8]
    meeting_id = await new_meeting(client, auth, units)
    body = case_body(units.kif)
    case_id = await case_for_meeting(
        client, auth, units, subject=body["subject"], concern=body["concern"]
    )
    made = await change_list(client, auth, units, meeting_id, add=[case_id])
    assert made.status_code == 201, made.text
    emails, fingerprints = [], {}
    for i in range(count):
        email = f"{local_part}{i}-{tag}@kommune.dk"
        registered = await register(client, auth, units, keys, email, **changes)
        assert registered.status_code == 201, registered.text
        fingerprints[email] = registered.json()["fingerprint"]
        added = await client.post(
            f"/api/v1/meetings/{meeting_id}/participants",
            json={"recipient_id": registered.json()["id"]},
            headers=kif,
        )
        assert added.status_code == 201, added.text
        emails.append(email)
    return Participants(meeting_id, made.json()["document_id"], body, emails, fingerprints)


@dataclass
class Circulated:
    document_id: str
    emails: list[str]
    fingerprints: dict[str, str]
    body: dict[str, object]
    response: httpx.Response


async def circulate_to(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker, count: int
) -> Circulated:
    """Version 1 of a new meeting's list circulated to ``count`` new participants."""
    meeting = await meeting_with_participants(client, auth, units, keys, count)
    response = await client.post(
        f"/api/v1/documents/{meeting.document_id}/versions/1/circulate",
        headers=auth("kif", units.kif),
    )
    return Circulated(
        meeting.document_id, meeting.emails, meeting.fingerprints, meeting.case, response
    )


def worker_for(
    app: Litestar,
    smtp: SmtpServer,
    clock: Clock,
    limits: ConnectionLimits | None = None,
) -> OutboxWorker:
    """A worker of the app's outbox delivering to ``smtp`` (STARTTLS and AUTH)."""
    transport = SmtpTransport(
        SmtpConfig("127.0.0.1", smtp.port, "starttls", USER, PASSWORD, str(smtp.ca_file)),
        limits,
    )
    return OutboxWorker(app.state.uow, transport, clock, sender=SENDER)


async def deliver_all(worker: OutboxWorker) -> None:
    """Until nothing is due (messages other tests left queued are due too)."""
    await worker.drain()


@dataclass
class MailRig:
    """What a test of circulation and delivery uses: the app and its client, tokens, the
    test's units, the key maker, the SMTP server and the app's clock (``mail_rig``)."""

    client: httpx.AsyncClient
    app: Litestar
    auth: Auth
    units: Units
    keys: KeyMaker
    smtp: SmtpServer
    clock: FixedClock

    @property
    def kif(self) -> dict[str, str]:
        return self.auth("kif", self.units.kif)

    def worker(
        self, limits: ConnectionLimits | None = None, clock: Clock | None = None
    ) -> OutboxWorker:
        return worker_for(self.app, self.smtp, clock or self.clock, limits)

    async def circulate_to(self, count: int) -> Circulated:
        return await circulate_to(self.client, self.auth, self.units, self.keys, count)

    async def meeting_with_participants(self, count: int, **changes: object) -> Participants:
        return await meeting_with_participants(
            self.client, self.auth, self.units, self.keys, count, **changes
        )


@pytest.fixture
def mail_rig(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
) -> MailRig:
    return MailRig(client, app, auth, units, keys, smtp, clock)
