"""The outbox worker: delivers queued messages, retrying with backoff.

Several workers may run against PostgreSQL: each claims a batch of due rows with ``FOR
UPDATE SKIP LOCKED`` and leases them (moves their next attempt past the lease) in one short
transaction, so no two workers send the same message, and no transaction is open while a
mail server is slow (on SQLite, an open transaction would hold up every request). The batch
then goes over one connection (:class:`ksp.mail.transport.Connection`), each message's
outcome recorded in a transaction of its own as soon as it is known. A worker killed after
the server accepted a message but before it recorded that leaves the one message to come
due again when the lease ends: for that message delivery is at-least-once, and the repeat
carries the same Message-ID so the receiving system can drop it. The rest of its batch,
not yet tried, comes due when the lease ends too; a worker that stops mid-batch (or finds
its lease half gone) hands those back at once.
"""

from __future__ import annotations

import datetime as dt

import anyio
import anyio.to_thread
import structlog

from ksp.domain.circulation import Delivery, DeliveryStatus, after_failure, after_success
from ksp.mail.transport import Connection, DeliveryFailed, Transport
from ksp.services.ports import Clock, UnitOfWorkFactory

__all__ = ["DEFAULT_BATCH", "OutboxWorker"]

log = structlog.get_logger("ksp.outbox")

# How long a claimed message stays with its worker: longer than any SMTP exchange takes.
DEFAULT_LEASE = dt.timedelta(minutes=5)
DEFAULT_BATCH = 10  # messages claimed at once


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
        batch: int = DEFAULT_BATCH,
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
        """Deliver one batch of due messages over one connection; how many were attempted."""
        return await self._over_one_connection(once=True)

    async def drain(self) -> int:
        """Deliver batch after batch until nothing is due, over one connection (opened anew
        as its limits say, or when the relay closed it); how many were attempted."""
        return await self._over_one_connection(once=False)

    async def _over_one_connection(self, *, once: bool) -> int:
        connection = self._transport.connection()
        attempted = 0
        try:
            while count := await self._deliver_batch(connection):
                attempted += count
                if once:
                    break
        except BaseException:
            connection.abort()  # cancelled or broken: do not wait for the relay
            raise
        await anyio.to_thread.run_sync(connection.close)
        return attempted

    async def _deliver_batch(self, connection: Connection) -> int:
        """Lease a batch (a short transaction), send it holding no transaction, recording
        each outcome (a transaction each). Messages not tried, because the lease is half
        gone or the worker is stopping, are handed back for any worker to take."""
        claimed_at = self._clock.now()
        until = claimed_at + self._lease
        async with self._uow() as uow:
            claimed = await uow.circulations.claim(claimed_at, self._batch)
            if not claimed:
                return 0
            await uow.circulations.lease([d.id for d, _ in claimed], until=until)
            await uow.commit()
        pending = list(reversed(claimed))
        attempted = 0
        try:
            while pending:
                if attempted and self._clock.now() >= claimed_at + self._lease / 2:
                    break  # the rest could outlast the lease: hand it back
                delivery, message = pending.pop()
                outcome = await self._attempt(connection, delivery, message)
                attempted += 1
                async with self._uow() as uow:
                    await uow.circulations.save(outcome)
                    await uow.commit()
                _log_outcome(outcome)
        finally:
            if pending:
                with anyio.CancelScope(shield=True):
                    await self._hand_back([d.id for d, _ in pending], until)
        return attempted

    async def _attempt(
        self, connection: Connection, delivery: Delivery, message: bytes
    ) -> Delivery:
        try:
            await anyio.to_thread.run_sync(connection.send, self._sender, delivery.email, message)
        except DeliveryFailed as exc:
            return after_failure(
                delivery, permanent=exc.permanent, reason=exc.reason, now=self._clock.now()
            )
        except Exception as exc:  # noqa: BLE001 - any fault counts as an attempt
            return after_failure(
                delivery, permanent=False, reason=type(exc).__name__, now=self._clock.now()
            )
        return after_success(delivery, self._clock.now())

    async def _hand_back(self, delivery_ids: list[str], leased_until: dt.datetime) -> None:
        async with self._uow() as uow:
            await uow.circulations.release(
                delivery_ids, leased_until=leased_until, at=self._clock.now()
            )
            await uow.commit()

    async def run(self, *, poll_seconds: float = 2.0) -> None:
        """Forever: drain what is due, then wait until woken or the poll comes round (the
        poll finds retries coming due, and anything a lost wake-up missed)."""
        while True:
            self._woken = anyio.Event()  # before draining: a wake meanwhile is not lost
            try:
                await self.drain()
            except Exception as exc:  # noqa: BLE001 - the worker must outlive a bad moment
                log.error("outbox_error", error=type(exc).__name__)  # noqa: TRY400 - no traceback: it may quote data
            with anyio.move_on_after(poll_seconds):
                await self._woken.wait()
