"""Delivering a batch over one SMTP connection (issue 11), against a real SMTP server on
loopback: the connection is reused within its limits (messages, seconds), opened anew when
the relay hangs up, and a refused recipient fails alone while the rest of the batch goes
out. Per-message outcomes, retries and statuses are as with a connection per message."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from ksp.mail.transport import ConnectionLimits, SmtpConfig, SmtpTransport
from support.participants import SENDER, Circulated, MailRig, deliver_all
from support.smtp import PASSWORD, USER, Captured, SmtpServer

MESSAGE = b"Subject: test\r\n\r\nnothing\r\n"


async def queued(rig: MailRig, count: int) -> Circulated:
    """A circulation to ``count`` new participants, queued, after what earlier tests left
    due was delivered (so the worker's next batch starts with it)."""
    await deliver_all(rig.worker())
    sent = await rig.circulate_to(count)
    assert sent.response.status_code == 202, sent.response.text
    return sent


def mine(smtp: SmtpServer, sent: Circulated) -> list[Captured]:
    return [m for m in smtp.messages if set(m.recipients) & set(sent.emails)]


async def rows(rig: MailRig, sent: Circulated) -> list[dict[str, Any]]:
    """The deliveries as ``GET /circulations/{id}`` shows them."""
    circulation = sent.response.json()["circulation_id"]
    found = await rig.client.get(f"/api/v1/circulations/{circulation}", headers=rig.kif)
    assert found.status_code == 200, found.text
    return list(found.json()["recipients"])


async def statuses(rig: MailRig, sent: Circulated) -> dict[str, tuple[str, int, str | None]]:
    """By e-mail: status, attempts and last error."""
    return {
        r["email"]: (r["status"], r["attempts"], r["last_error"]) for r in await rows(rig, sent)
    }


async def test_a_circulation_goes_out_over_one_connection_batch_after_batch(
    mail_rig: MailRig,
) -> None:
    """12 messages, more than one claimed batch (10): one connection, each message once."""
    sent = await queued(mail_rig, 12)
    await deliver_all(mail_rig.worker())
    arrived = mine(mail_rig.smtp, sent)
    assert sorted(r for m in arrived for r in m.recipients) == sorted(sent.emails)
    assert len({m.peer for m in arrived}) == 1
    assert set((await statuses(mail_rig, sent)).values()) == {("sent", 1, None)}


async def test_a_connection_carries_at_most_its_limit_of_messages(mail_rig: MailRig) -> None:
    """KSP_SMTP_MESSAGES_PER_CONNECTION=3: 7 messages take three connections (3, 3, 1)."""
    sent = await queued(mail_rig, 7)
    await deliver_all(mail_rig.worker(ConnectionLimits(messages=3)))
    per_connection = Counter(m.peer for m in mine(mail_rig.smtp, sent))
    assert sorted(per_connection.values()) == [1, 3, 3]
    assert set((await statuses(mail_rig, sent)).values()) == {("sent", 1, None)}


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
    mail_rig: MailRig,
) -> None:
    """The relay closes the connection in the DATA of the fourth message: that message is
    sent again at once over a new connection, and so are the rest; each arrives once."""
    worker = mail_rig.worker()
    sent = await queued(mail_rig, 6)
    mail_rig.smtp.handler.hang_up_after = len(mail_rig.smtp.messages) + 3
    await deliver_all(worker)
    assert mail_rig.smtp.handler.hang_up_after is None  # it did hang up
    arrived = mine(mail_rig.smtp, sent)
    assert sorted(r for m in arrived for r in m.recipients) == sorted(sent.emails)
    assert sorted(Counter(m.peer for m in arrived).values()) == [3, 3]
    assert set((await statuses(mail_rig, sent)).values()) == {("sent", 1, None)}


async def test_a_relay_that_hangs_up_on_a_new_connection_fails_that_message_only(
    mail_rig: MailRig,
) -> None:
    """A hang-up on a connection that has carried nothing yet is no stale connection: the
    message is retried later (``connection failed``), the next ones go over a new one."""
    worker = mail_rig.worker()
    sent = await queued(mail_rig, 4)
    mail_rig.smtp.handler.hang_up_after = len(mail_rig.smtp.messages)  # the very first message
    await deliver_all(worker)
    outcomes = Counter((await statuses(mail_rig, sent)).values())
    assert outcomes == {("sent", 1, None): 3, ("retrying", 1, "connection failed"): 1}
    assert len(mine(mail_rig.smtp, sent)) == 3
    mail_rig.clock.set(mail_rig.clock.now() + dt.timedelta(minutes=1))  # the backoff (30 s) is over
    await deliver_all(worker)
    assert sorted(r for m in mine(mail_rig.smtp, sent) for r in m.recipients) == sorted(sent.emails)
    outcomes = Counter((await statuses(mail_rig, sent)).values())
    assert outcomes == {("sent", 1, None): 3, ("sent", 2, None): 1}


async def test_a_recipient_refused_for_good_fails_alone_and_the_batch_goes_on(
    mail_rig: MailRig,
) -> None:
    """A 550 at RCPT for one recipient: that delivery is ``failed`` at once, and the others
    go out over the same connection."""
    worker = mail_rig.worker()
    sent = await queued(mail_rig, 5)
    refused = sent.emails[2]
    mail_rig.smtp.handler.refuse_recipients[refused] = "550 5.1.1 No such user"
    try:
        await deliver_all(worker)
    finally:
        mail_rig.smtp.handler.refuse_recipients.clear()
    found = await statuses(mail_rig, sent)
    assert found.pop(refused) == ("failed", 1, "SMTP 550")
    assert set(found.values()) == {("sent", 1, None)}
    arrived = mine(mail_rig.smtp, sent)
    assert sorted(r for m in arrived for r in m.recipients) == sorted(found)
    assert len({m.peer for m in arrived}) == 1


class Advancing:
    """A clock that moves 30 s on at every reading: a slow relay, as the worker sees it."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = start

    def now(self) -> dt.datetime:
        self._now += dt.timedelta(seconds=30)
        return self._now


async def test_a_batch_whose_lease_is_half_gone_hands_the_rest_back(mail_rig: MailRig) -> None:
    """With a 5-minute lease and 30 s a reading, the worker stops the batch once 2.5 minutes
    are gone; what it did not try is due again at once (not when the lease ends), queued
    and unattempted, and the next batch sends it."""
    sent = await queued(mail_rig, 6)
    advancing = Advancing(mail_rig.clock.now())
    worker = mail_rig.worker(clock=advancing)
    attempted = await worker.run_once()
    assert 1 <= attempted < 6
    waiting = [r for r in await rows(mail_rig, sent) if r["status"] == "queued"]
    assert len(waiting) == 6 - attempted
    lease_end = mail_rig.clock.now() + dt.timedelta(minutes=5)
    assert all(r["attempts"] == 0 for r in waiting)
    assert all(dt.datetime.fromisoformat(r["next_attempt_at"]) < lease_end for r in waiting)
    await deliver_all(worker)
    assert sorted(r for m in mine(mail_rig.smtp, sent) for r in m.recipients) == sorted(sent.emails)
    assert set((await statuses(mail_rig, sent)).values()) == {("sent", 1, None)}
