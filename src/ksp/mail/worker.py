"""The outbox worker: delivers queued messages, retrying with backoff.

Several workers may run against PostgreSQL: each claims a due row with ``FOR UPDATE SKIP
LOCKED`` and leases it (moves its next attempt past the lease) in one short transaction, so
no two workers send the same message, and no transaction is open while a mail server is
slow (on SQLite, an open transaction would hold up every request). A worker killed after
the server accepted a message but before it recorded that leaves the one message to come
due again when the lease ends: for that message delivery is at-least-once, and the repeat
carries the same Message-ID so the receiving system can drop it.
"""

from __future__ import annotations

import datetime as dt

import anyio
import anyio.to_thread
import structlog

from ksp.domain.circulation import Delivery, DeliveryStatus, after_failure, after_success
from ksp.mail.transport import DeliveryFailed, Transport
from ksp.services.ports import Clock, UnitOfWorkFactory

__all__ = ["OutboxWorker"]

log = structlog.get_logger("ksp.outbox")

# How long a claimed message stays with its worker: longer than any SMTP exchange takes.
DEFAULT_LEASE = dt.timedelta(minutes=5)


def _log_outcome(outcome: Delivery) -> None:
    """One line per attempt, by id only (never an address): a success at INFO, a failure
    that will be retried at WARNING, giving up at ERROR."""
    fields = {
        "delivery_id": outcome.id,
        "status": outcome.status.value,
        "attempts": outcome.attempts,
    }
    if outcome.status is DeliveryStatus.SENT:
        log.info("delivery", **fields)
    elif outcome.status is DeliveryStatus.FAILED:
        log.error("delivery", **fields, error=outcome.last_error)
    else:
        log.warning(
            "delivery",
            **fields,
            error=outcome.last_error,
            next_attempt_at=outcome.next_attempt_at.isoformat(),
        )


class OutboxWorker:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        transport: Transport,
        clock: Clock,
        *,
        sender: str,
        batch: int = 10,
        lease: dt.timedelta = DEFAULT_LEASE,
    ) -> None:
        self._lease = lease
        self._uow = uow
        self._transport = transport
        self._clock = clock
        self._sender = sender
        self._batch = batch
        self._woken = anyio.Event()

    def wake(self) -> None:
        """Messages were queued: deliver them now rather than at the next poll. Called on
        the worker's event loop (after a circulation commits, or on a PostgreSQL
        notification); a wake while the worker is busy makes it look again when done."""
        self._woken.set()

    async def run_once(self) -> int:
        """Deliver up to a batch of due messages; returns how many were attempted.

        Each message is claimed, sent and recorded in a transaction of its own, so a worker
        that dies can leave at most the one message it was sending to be sent again.
        """
        attempted = 0
        while attempted < self._batch and await self._deliver_one():
            attempted += 1
        return attempted

    async def _deliver_one(self) -> bool:
        """Lease one due message (a short transaction), send it holding no transaction, and
        record the outcome (another). A worker that dies while sending leaves the message
        to come due again when its lease ends."""
        now = self._clock.now()
        async with self._uow() as uow:
            claimed = await uow.circulations.claim(now, 1)
            if not claimed:
                return False
            delivery, message = claimed[0]
            await uow.circulations.lease(delivery.id, until=now + self._lease)
            await uow.commit()
        try:
            await anyio.to_thread.run_sync(
                self._transport.send, self._sender, delivery.email, message
            )
        except DeliveryFailed as exc:
            outcome = after_failure(
                delivery, permanent=exc.permanent, reason=exc.reason, now=self._clock.now()
            )
        except Exception as exc:  # noqa: BLE001 - any fault counts as an attempt
            outcome = after_failure(
                delivery, permanent=False, reason=type(exc).__name__, now=self._clock.now()
            )
        else:
            outcome = after_success(delivery, self._clock.now())
        async with self._uow() as uow:
            await uow.circulations.save(outcome)
            await uow.commit()
        _log_outcome(outcome)
        return True

    async def run(self, *, poll_seconds: float = 2.0) -> None:
        """Forever: drain what is due, then wait until woken or the poll comes round (the
        poll finds retries coming due, and anything a lost wake-up missed)."""
        while True:
            self._woken = anyio.Event()  # before draining: a wake meanwhile is not lost
            try:
                while await self.run_once():
                    pass
            except Exception as exc:  # noqa: BLE001 - the worker must outlive a bad moment
                log.error("outbox_error", error=type(exc).__name__)  # noqa: TRY400 - no traceback: it may quote data
            with anyio.move_on_after(poll_seconds):
                await self._woken.wait()
