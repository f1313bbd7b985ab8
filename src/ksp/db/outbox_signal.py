"""Waking the outbox workers when a circulation commits, instead of at their next poll.

The circulating transaction runs ``NOTIFY ksp_outbox`` (``SqlCirculationStore.announce``);
PostgreSQL delivers it to every listening connection when that transaction commits, so a
worker in any process wakes at once. :func:`listen_for_outbox` holds one such connection for
a worker, reconnecting after a fault; the poll stays as the fallback, so a missed
notification delays a message by one poll at most. On SQLite the worker in the service's own
process is woken directly (``OutboxWorker.wake``) after the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["OUTBOX_CHANNEL", "listen_for_outbox"]

OUTBOX_CHANNEL = "ksp_outbox"
RECONNECT_SECONDS = 5.0

log = structlog.get_logger("ksp.outbox")


async def listen_for_outbox(engine: AsyncEngine, wake: Callable[[], None]) -> None:
    """Forever: ``wake()`` on every notification of the outbox channel (PostgreSQL only;
    returns at once on another database)."""
    if engine.dialect.name != "postgresql":
        return
    while True:
        try:
            async with engine.connect() as connection:
                raw = await connection.get_raw_connection()
                driver: Any = raw.driver_connection  # asyncpg's Connection

                def on_notice(*_: object) -> None:
                    wake()

                await driver.add_listener(OUTBOX_CHANNEL, on_notice)
                try:
                    await anyio.sleep_forever()
                finally:
                    with anyio.CancelScope(shield=True):
                        await driver.remove_listener(OUTBOX_CHANNEL, on_notice)
        except Exception as exc:  # noqa: BLE001 - the poll carries on meanwhile
            log.warning("outbox_listen_failed", error=type(exc).__name__)
            await anyio.sleep(RECONNECT_SECONDS)
