"""Issue 6, faults: PostgreSQL connections stopped with ``pg_terminate_backend``, mid-request
and while idle in the pool. The request that loses its connection fails cleanly (503, a
problem, ``Retry-After``, nothing half-written) and the next one succeeds."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from ksp.api.problems import PROBLEMS
from ksp.domain.errors import CommitOutcomeUnknown
from support.data import Units, case_body
from support.flows import Auth, case_for_meeting, change_list, new_meeting
from support.journal_lock import held_journal_lock, journal_lock_holders, journal_lock_waiters

STORAGE_UNAVAILABLE = "https://ksp.kriminalforsorgen.dk/problems/storage-unavailable"


@pytest.fixture(autouse=True)
def postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("pg_terminate_backend stops PostgreSQL connections; SQLite has none")


def assert_storage_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == "1"
    assert response.json()["type"] == STORAGE_UNAVAILABLE


async def test_a_connection_stopped_mid_request_fails_it_cleanly_and_the_next_succeeds(
    client: httpx.AsyncClient, engine: AsyncEngine, auth: Auth, units: Units
) -> None:
    """A list change waiting on the journal lock loses its connection: 503, no version
    written; the same change sent again becomes version 1, and the journal verifies."""
    meeting = await new_meeting(client, auth, units)
    case_id = await case_for_meeting(client, auth, units)
    async with held_journal_lock(engine) as holder:
        pending = asyncio.create_task(change_list(client, auth, units, meeting, add=[case_id]))
        [pid] = await journal_lock_waiters(engine, 1)
        await holder.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert_storage_unavailable(await pending)
    kif = auth("kif", units.kif)
    listed = await client.get(f"/api/v1/meetings/{meeting}/documents", headers=kif)
    assert listed.json()["versions"] == []  # the lost request left nothing behind
    again = await change_list(client, auth, units, meeting, add=[case_id])
    assert again.status_code == 201, again.text
    assert again.json()["version"] == 1
    verified = await client.get("/api/v1/audit/verify", headers=auth("auditor", units.auditor))
    assert verified.json()["ok"] is True


async def _pooled_backend_pids(engine: AsyncEngine) -> list[int]:
    """The server pids of every connection now idle in the engine's pool (checked out
    together, so each is a different one, then returned to the pool)."""
    count = max(engine.pool.checkedin(), 1)  # type: ignore[attr-defined]
    async with contextlib.AsyncExitStack() as stack:
        connections = [await stack.enter_async_context(engine.connect()) for _ in range(count)]
        return [int(await c.scalar(text("SELECT pg_backend_pid()"))) for c in connections]


async def test_pooled_connections_stopped_while_idle_cost_at_most_one_request(
    client: httpx.AsyncClient, engine: AsyncEngine, auth: Auth, units: Units
) -> None:
    """Every idle connection of the pool is stopped (a PostgreSQL restart or failover): the
    next request fails cleanly with 503; SQLAlchemy then drops the whole stale pool, so the
    request after it and every one after that succeed."""
    arrest = auth("arrest", units.arrest)
    pids = await _pooled_backend_pids(engine)
    outside = create_async_engine(engine.url, poolclass=NullPool)  # not one of the pool's
    try:
        async with outside.connect() as killer:
            for pid in pids:
                await killer.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await _gone(killer, pids)
    finally:
        await outside.dispose()
    first = await client.post("/api/v1/cases", json=case_body(units.kif), headers=arrest)
    assert_storage_unavailable(first)
    after = [
        await client.post("/api/v1/cases", json=case_body(units.kif), headers=arrest)
        for _ in range(5)
    ]
    assert [r.status_code for r in after] == [201] * 5


async def _gone(connection: AsyncConnection, pids: list[int], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = await connection.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"), {"pids": pids}
        )
        if alive == 0:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the stopped connections did not go away")


async def test_a_connection_lost_at_commit_is_an_unknown_outcome_not_nothing_saved(
    app: Litestar, engine: AsyncEngine
) -> None:
    """The transaction has written and holds the journal lock when its connection is
    stopped: the commit cannot tell whether the database kept it, so the error says so
    (503 commit-outcome-unknown), never "nothing was saved"."""
    uow = app.state.uow()
    async with uow:
        await uow.journal.lock()
        [pid] = await journal_lock_holders(engine)
        outside = create_async_engine(engine.url, poolclass=NullPool)
        try:
            async with outside.connect() as killer:
                await killer.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                await _gone(killer, [pid])
        finally:
            await outside.dispose()
        with pytest.raises(CommitOutcomeUnknown) as raised:
            await uow.commit()
    kind = PROBLEMS[type(raised.value)]
    assert (kind.status, kind.slug) == (503, "commit-outcome-unknown")
    assert "may or may not have been saved" in raised.value.detail
