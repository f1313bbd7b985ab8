"""Delivering a batch over one SMTP connection (issue 11), against a real SMTP server on
loopback: the connection is reused within its limits (messages, seconds), opened anew when
the relay hangs up, and a refused recipient fails alone while the rest of the batch goes
out. Per-message outcomes, retries and statuses are as with a connection per message."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import httpx
from litestar import Litestar

from ksp.mail.transport import ConnectionLimits, SmtpConfig, SmtpTransport
from support.clock import FixedClock
from support.data import Units
from support.flows import Auth
from support.keys import KeyMaker
from support.participants import SENDER, Circulated, circulate_to, deliver_all, worker_for
from support.smtp import PASSWORD, USER, Captured, SmtpServer

MESSAGE = b"Subject: test\r\n\r\nnothing\r\n"


async def queued(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker, count: int
) -> Circulated:
    sent = await circulate_to(client, auth, units, keys, count)
    assert sent.response.status_code == 202, sent.response.text
    return sent


def mine(smtp: SmtpServer, sent: Circulated) -> list[Captured]:
    return [m for m in smtp.messages if set(m.recipients) & set(sent.emails)]


async def statuses(
    client: httpx.AsyncClient, auth: Auth, units: Units, sent: Circulated
) -> dict[str, tuple[str, int, str | None]]:
    """By e-mail: status, attempts and last error, as ``GET /circulations/{id}`` shows."""
    circulation = sent.response.json()["circulation_id"]
    found = await client.get(f"/api/v1/circulations/{circulation}", headers=auth("kif", units.kif))
    assert found.status_code == 200, found.text
    return {
        r["email"]: (r["status"], r["attempts"], r["last_error"])
        for r in found.json()["recipients"]
    }


async def test_a_circulation_goes_out_over_one_connection_batch_after_batch(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
) -> None:
    """12 messages, more than one claimed batch (10): one connection, each message once."""
    worker = worker_for(app, smtp, clock)
    await deliver_all(worker)  # what earlier tests left due
    sent = await queued(client, auth, units, keys, 12)
    await deliver_all(worker)
    arrived = mine(smtp, sent)
    assert sorted(r for m in arrived for r in m.recipients) == sorted(sent.emails)
    assert len({m.peer for m in arrived}) == 1
    assert set((await statuses(client, auth, units, sent)).values()) == {("sent", 1, None)}


async def test_a_connection_carries_at_most_its_limit_of_messages(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
) -> None:
    """KSP_SMTP_MESSAGES_PER_CONNECTION=3: 7 messages take three connections (3, 3, 1)."""
    await deliver_all(worker_for(app, smtp, clock))
    sent = await queued(client, auth, units, keys, 7)
    await deliver_all(worker_for(app, smtp, clock, ConnectionLimits(messages=3)))
    per_connection = Counter(m.peer for m in mine(smtp, sent))
    assert sorted(per_connection.values()) == [1, 3, 3]
    assert set((await statuses(client, auth, units, sent)).values()) == {("sent", 1, None)}


def test_a_connection_is_used_for_at_most_its_lifetime(smtp: SmtpServer) -> None:
    """KSP_SMTP_CONNECTION_SECONDS=60: a message 59 s after the connection opened takes it;
    one at 60 s opens another (the clock is the transport's, set here)."""
    seconds = [1000.0]
    config = SmtpConfig("127.0.0.1", smtp.port, "starttls", USER, PASSWORD, str(smtp.ca_file))
    transport = SmtpTransport(config, ConnectionLimits(seconds=60), clock=lambda: seconds[0])
    connection = transport.connection()
    before = len(smtp.messages)
    try:
        for at, recipient in ((1000.0, "a"), (1059.0, "b"), (1060.0, "c"), (1061.0, "d")):
            seconds[0] = at
            connection.send(SENDER, f"{recipient}@lifetime.kommune.dk", MESSAGE)
    finally:
        connection.close()
    peers = [m.peer for m in smtp.messages[before:]]
    assert peers[0] == peers[1] != peers[2] == peers[3]


async def test_a_relay_that_hangs_up_mid_batch_gets_the_rest_over_a_new_connection(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
) -> None:
    """The relay closes the connection in the DATA of the fourth message: that message is
    sent again at once over a new connection, and so are the rest; each arrives once."""
    worker = worker_for(app, smtp, clock)
    await deliver_all(worker)
    sent = await queued(client, auth, units, keys, 6)
    smtp.handler.hang_up_after = len(smtp.messages) + 3
    await deliver_all(worker)
    assert smtp.handler.hang_up_after is None  # it did hang up
    arrived = mine(smtp, sent)
    assert sorted(r for m in arrived for r in m.recipients) == sorted(sent.emails)
    assert sorted(Counter(m.peer for m in arrived).values()) == [3, 3]
    assert set((await statuses(client, auth, units, sent)).values()) == {("sent", 1, None)}


async def test_a_relay_that_hangs_up_on_a_new_connection_fails_that_message_only(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
) -> None:
    """A hang-up on a connection that has carried nothing yet is no stale connection: the
    message is retried later (``connection failed``), the next ones go over a new one."""
    worker = worker_for(app, smtp, clock)
    await deliver_all(worker)
    sent = await queued(client, auth, units, keys, 4)
    smtp.handler.hang_up_after = len(smtp.messages)  # the very first message
    await deliver_all(worker)
    outcomes = Counter((await statuses(client, auth, units, sent)).values())
    assert outcomes == {("sent", 1, None): 3, ("retrying", 1, "connection failed"): 1}
    assert len(mine(smtp, sent)) == 3
    clock.set(clock.now() + dt.timedelta(minutes=1))  # the backoff (30 s) is over
    await deliver_all(worker)
    assert sorted(r for m in mine(smtp, sent) for r in m.recipients) == sorted(sent.emails)
    outcomes = Counter((await statuses(client, auth, units, sent)).values())
    assert outcomes == {("sent", 1, None): 3, ("sent", 2, None): 1}


async def test_a_recipient_refused_for_good_fails_alone_and_the_batch_goes_on(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
) -> None:
    """A 550 at RCPT for one recipient: that delivery is ``failed`` at once, and the others
    go out over the same connection."""
    worker = worker_for(app, smtp, clock)
    await deliver_all(worker)
    sent = await queued(client, auth, units, keys, 5)
    refused = sent.emails[2]
    smtp.handler.refuse_recipients[refused] = "550 5.1.1 No such user"
    try:
        await deliver_all(worker)
    finally:
        smtp.handler.refuse_recipients.clear()
    found = await statuses(client, auth, units, sent)
    assert found.pop(refused) == ("failed", 1, "SMTP 550")
    assert set(found.values()) == {("sent", 1, None)}
    arrived = mine(smtp, sent)
    assert sorted(r for m in arrived for r in m.recipients) == sorted(found)
    assert len({m.peer for m in arrived}) == 1


class Advancing:
    """A clock that moves 30 s on at every reading: a slow relay, as the worker sees it."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = start

    def now(self) -> dt.datetime:
        self._now += dt.timedelta(seconds=30)
        return self._now


async def test_a_batch_whose_lease_is_half_gone_hands_the_rest_back(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
) -> None:
    """With a 5-minute lease and 30 s a reading, the worker stops the batch once 2.5 minutes
    are gone; what it did not try is due again at once (not when the lease ends), queued
    and unattempted, and the next batch sends it."""
    await deliver_all(worker_for(app, smtp, clock))
    sent = await queued(client, auth, units, keys, 6)
    advancing = Advancing(clock.now())
    worker = worker_for(app, smtp, advancing)
    attempted = await worker.run_once()
    assert 1 <= attempted < 6
    circulation = sent.response.json()["circulation_id"]
    found = await client.get(f"/api/v1/circulations/{circulation}", headers=auth("kif", units.kif))
    rows = found.json()["recipients"]
    waiting = [r for r in rows if r["status"] == "queued"]
    assert len(waiting) == 6 - attempted
    lease_end = clock.now() + dt.timedelta(minutes=5)
    assert all(r["attempts"] == 0 for r in waiting)
    assert all(dt.datetime.fromisoformat(r["next_attempt_at"]) < lease_end for r in waiting)
    await deliver_all(worker)
    assert sorted(r for m in mine(smtp, sent) for r in m.recipients) == sorted(sent.emails)
    assert set((await statuses(client, auth, units, sent)).values()) == {("sent", 1, None)}
