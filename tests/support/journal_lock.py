"""The journal's PostgreSQL advisory lock, seen from a test: hold it, and find the requests
that queue on it (pg_locks shows a two-key lock as classid = key 1, objid = key 2 read as
unsigned, objsubid = 2)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ksp.db.journal_store import JOURNAL_LOCK_KEY

__all__ = ["held_journal_lock", "journal_lock_holders", "journal_lock_waiters"]

_ARGS = ":k, hashtext(current_schema())"  # as the journal store takes it
_LOCKS = (
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted = :granted "
    "AND classid = :key AND objid = :schema_key AND objsubid = 2 "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "ORDER BY pid"
)


@asynccontextmanager
async def held_journal_lock(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """This schema's journal lock, held by a connection of the test until the block ends."""
    async with engine.connect() as holder:
        await holder.scalar(text(f"SELECT pg_advisory_lock({_ARGS})"), {"k": JOURNAL_LOCK_KEY})
        try:
            yield holder
        finally:
            await holder.scalar(
                text(f"SELECT pg_advisory_unlock({_ARGS})"), {"k": JOURNAL_LOCK_KEY}
            )


async def journal_lock_waiters(engine: AsyncEngine, count: int, seconds: float = 30) -> list[int]:
    """The pids of the backends queued on this schema's journal lock, once there are
    ``count`` of them."""
    return await _lock_pids(engine, count, seconds, granted=False)


async def journal_lock_holders(engine: AsyncEngine) -> list[int]:
    """The pid of the backend that holds this schema's journal lock, if one does."""
    return await _lock_pids(engine, 1, 0, granted=True)


async def _lock_pids(
    engine: AsyncEngine, count: int, seconds: float, *, granted: bool
) -> list[int]:
    deadline = time.monotonic() + seconds
    async with engine.connect() as connection:
        schema_key = int(await connection.scalar(text("SELECT hashtext(current_schema())")))
        params = {
            "key": JOURNAL_LOCK_KEY,
            "schema_key": schema_key & 0xFFFFFFFF,
            "granted": granted,
        }
        while True:
            pids = [int(pid) for pid in await connection.scalars(text(_LOCKS), params)]
            if len(pids) >= count or time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.02)
    if len(pids) < count:
        raise AssertionError(f"fewer than {count} backends on the journal lock ({granted=})")
    return pids
