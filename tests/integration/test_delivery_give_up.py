"""Delivery gives up (issue 7): against a real SMTP server that refuses, each delivery ends
``failed`` and ``GET /circulations/{id}`` shows when the next attempt is due until then."""

from __future__ import annotations

import datetime as dt

import httpx
from litestar import Litestar

from ksp.domain.circulation import MAX_ATTEMPTS, backoff
from support.clock import FixedClock
from support.data import Units
from support.flows import Auth
from support.keys import KeyMaker
from support.participants import circulate_to, deliver_all, worker_for
from support.smtp import SmtpServer


async def _deliveries(
    client: httpx.AsyncClient, auth: Auth, units: Units, circulation: str
) -> list[dict[str, object]]:
    status = await client.get(f"/api/v1/circulations/{circulation}", headers=auth("kif", units.kif))
    assert status.status_code == 200, status.text
    rows: list[dict[str, object]] = status.json()["recipients"]
    return rows


def _at(value: object) -> dt.datetime:
    assert isinstance(value, str)
    return dt.datetime.fromisoformat(value)


async def test_a_550_is_permanent_the_delivery_fails_at_once_with_no_next_attempt(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
) -> None:
    """RFC 5321: a 5xx reply is permanent; retrying it would only repeat the refusal."""
    sent = await circulate_to(client, auth, units, keys, 1)
    circulation = sent.response.json()["circulation_id"]
    (queued,) = await _deliveries(client, auth, units, circulation)
    assert (queued["status"], _at(queued["next_attempt_at"])) == ("queued", clock.now())
    with smtp.refusing("550 5.1.1 Mailbox unavailable"):
        await deliver_all(worker_for(app, smtp, clock))
        clock.set(clock.now() + dt.timedelta(days=1))
        await deliver_all(worker_for(app, smtp, clock))
    (failed,) = await _deliveries(client, auth, units, circulation)
    assert (failed["status"], failed["attempts"], failed["last_error"]) == ("failed", 1, "SMTP 550")
    assert failed["next_attempt_at"] is None
    assert not [m for m in smtp.messages if m.recipients == sent.emails]


async def test_temporary_refusals_are_retried_until_the_last_attempt_then_given_up(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
) -> None:
    """A 451 each time: retried with backoff (each next attempt shown), and after the
    last of MAX_ATTEMPTS attempts the delivery is ``failed`` with no next attempt."""
    sent = await circulate_to(client, auth, units, keys, 1)
    circulation = sent.response.json()["circulation_id"]
    worker = worker_for(app, smtp, clock)
    refused_before = smtp.handler.refused
    with smtp.refusing("451 4.3.0 Try again later"):
        for attempt in range(1, MAX_ATTEMPTS):
            await deliver_all(worker)
            (row,) = await _deliveries(client, auth, units, circulation)
            due = clock.now() + backoff(attempt)
            assert (row["status"], row["attempts"]) == ("retrying", attempt)
            assert _at(row["next_attempt_at"]) == due
            await deliver_all(worker)  # not due yet: nothing is attempted
            clock.set(due)
        await deliver_all(worker)
    (failed,) = await _deliveries(client, auth, units, circulation)
    assert (failed["status"], failed["attempts"], failed["last_error"]) == (
        "failed",
        MAX_ATTEMPTS,
        "SMTP 451",
    )
    assert failed["next_attempt_at"] is None
    assert smtp.handler.refused - refused_before == MAX_ATTEMPTS
    clock.set(clock.now() + dt.timedelta(days=1))
    await deliver_all(worker)  # given up: never attempted again
    assert smtp.handler.refused - refused_before == MAX_ATTEMPTS


async def test_a_sent_delivery_shows_no_next_attempt(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
) -> None:
    """``next_attempt_at`` is null once a message is sent."""
    sent = await circulate_to(client, auth, units, keys, 1)
    await deliver_all(worker_for(app, smtp, clock))
    (row,) = await _deliveries(client, auth, units, sent.response.json()["circulation_id"])
    assert (row["status"], row["next_attempt_at"]) == ("sent", None)
