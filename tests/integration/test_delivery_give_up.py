"""Delivery gives up (issue 7): against a real SMTP server that refuses, each delivery ends
``failed`` and ``GET /circulations/{id}`` shows when the next attempt is due until then."""

from __future__ import annotations

import datetime as dt

from ksp.domain.circulation import MAX_ATTEMPTS, backoff
from support.participants import MailRig, deliver_all


async def _deliveries(rig: MailRig, circulation: str) -> list[dict[str, object]]:
    status = await rig.client.get(f"/api/v1/circulations/{circulation}", headers=rig.kif)
    assert status.status_code == 200, status.text
    rows: list[dict[str, object]] = status.json()["recipients"]
    return rows


def _at(value: object) -> dt.datetime:
    assert isinstance(value, str)
    return dt.datetime.fromisoformat(value)


async def test_a_550_is_permanent_the_delivery_fails_at_once_with_no_next_attempt(
    mail_rig: MailRig,
) -> None:
    """RFC 5321: a 5xx reply is permanent; retrying it would only repeat the refusal."""
    sent = await mail_rig.circulate_to(1)
    circulation = sent.response.json()["circulation_id"]
    (queued,) = await _deliveries(mail_rig, circulation)
    assert (queued["status"], _at(queued["next_attempt_at"])) == ("queued", mail_rig.clock.now())
    with mail_rig.smtp.refusing("550 5.1.1 Mailbox unavailable"):
        await deliver_all(mail_rig.worker())
        mail_rig.clock.set(mail_rig.clock.now() + dt.timedelta(days=1))
        await deliver_all(mail_rig.worker())
    (failed,) = await _deliveries(mail_rig, circulation)
    assert (failed["status"], failed["attempts"], failed["last_error"]) == ("failed", 1, "SMTP 550")
    assert failed["next_attempt_at"] is None
    assert not [m for m in mail_rig.smtp.messages if m.recipients == sent.emails]


async def test_temporary_refusals_are_retried_until_the_last_attempt_then_given_up(
    mail_rig: MailRig,
) -> None:
    """A 451 each time: retried with backoff (each next attempt shown), and after the
    last of MAX_ATTEMPTS attempts the delivery is ``failed`` with no next attempt."""
    sent = await mail_rig.circulate_to(1)
    circulation = sent.response.json()["circulation_id"]
    worker = mail_rig.worker()
    refused_before = mail_rig.smtp.handler.refused
    with mail_rig.smtp.refusing("451 4.3.0 Try again later"):
        for attempt in range(1, MAX_ATTEMPTS):
            await deliver_all(worker)
            (row,) = await _deliveries(mail_rig, circulation)
            due = mail_rig.clock.now() + backoff(attempt)
            assert (row["status"], row["attempts"]) == ("retrying", attempt)
            assert _at(row["next_attempt_at"]) == due
            await deliver_all(worker)  # not due yet: nothing is attempted
            mail_rig.clock.set(due)
        await deliver_all(worker)
    (failed,) = await _deliveries(mail_rig, circulation)
    assert (failed["status"], failed["attempts"], failed["last_error"]) == (
        "failed",
        MAX_ATTEMPTS,
        "SMTP 451",
    )
    assert failed["next_attempt_at"] is None
    assert mail_rig.smtp.handler.refused - refused_before == MAX_ATTEMPTS
    mail_rig.clock.set(mail_rig.clock.now() + dt.timedelta(days=1))
    await deliver_all(worker)  # given up: never attempted again
    assert mail_rig.smtp.handler.refused - refused_before == MAX_ATTEMPTS


async def test_a_sent_delivery_shows_no_next_attempt(mail_rig: MailRig) -> None:
    """``next_attempt_at`` is null once a message is sent."""
    sent = await mail_rig.circulate_to(1)
    await deliver_all(mail_rig.worker())
    (row,) = await _deliveries(mail_rig, sent.response.json()["circulation_id"])
    assert (row["status"], row["next_attempt_at"]) == ("sent", None)
