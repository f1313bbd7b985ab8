"""Delivery speed (issue 11): a committed circulation wakes the outbox worker at once, in the
service's own process (SQLite and PostgreSQL) and, through PostgreSQL's NOTIFY, in any
other process; the poll is only the fallback. The workers here poll once an hour, so only a
wake-up can deliver within the test's few seconds."""

from __future__ import annotations

import time

import anyio
import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine
from test_cancellation import meeting_with_participants

from ksp.bootstrap import run_outbox
from ksp.mail.worker import OutboxWorker
from support.clock import FixedClock
from support.data import Units
from support.flows import Auth
from support.keys import KeyMaker
from support.participants import circulate_to, worker_for
from support.smtp import SmtpServer

HOUR = 3600.0
WITHIN_SECONDS = 5.0


async def delivered(
    client: httpx.AsyncClient, kif: dict[str, str], circulation_id: str
) -> float | None:
    """Seconds until every delivery of the circulation is sent, or None past the limit."""
    started = time.monotonic()
    while time.monotonic() - started < WITHIN_SECONDS:
        found = await client.get(f"/api/v1/circulations/{circulation_id}", headers=kif)
        if {r["status"] for r in found.json()["recipients"]} == {"sent"}:
            return time.monotonic() - started
        await anyio.sleep(0.02)
    return None


async def circulated_while_running(
    worker: OutboxWorker,
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
) -> float | None:
    async with anyio.create_task_group() as group:
        group.start_soon(lambda: run_outbox(worker, engine, poll_seconds=HOUR))
        await anyio.sleep(0.5)  # drained what earlier tests left; now asleep for an hour
        sent = await circulate_to(client, auth, units, keys, 1)
        assert sent.response.status_code == 202, sent.response.text
        took = await delivered(
            client, auth("kif", units.kif), sent.response.json()["circulation_id"]
        )
        group.cancel_scope.cancel()
    return took


async def test_a_committed_circulation_wakes_the_worker_of_its_own_process(
    client: httpx.AsyncClient,
    app: Litestar,
    engine: AsyncEngine,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
) -> None:
    worker = app.state.outbox_worker  # the one the circulation service wakes
    took = await circulated_while_running(worker, engine, client, auth, units, keys)
    assert took is not None, "the worker slept through the circulation"


async def test_a_committed_cancellation_wakes_the_worker_of_its_own_process(
    client: httpx.AsyncClient,
    app: Litestar,
    engine: AsyncEngine,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
) -> None:
    """The cancellation's notices go out at once too, not at the worker's next poll."""
    worker = app.state.outbox_worker
    meeting_id, _case, _emails = await meeting_with_participants(client, auth, units, keys, 1)
    kif, base = auth("kif", units.kif), f"/api/v1/meetings/{meeting_id}"
    statuses: set[str] = set()
    async with anyio.create_task_group() as group:
        group.start_soon(lambda: run_outbox(worker, engine, poll_seconds=HOUR))
        await anyio.sleep(0.5)  # drained what earlier tests left; now asleep for an hour
        cancelled = await client.post(f"{base}/cancel", json={"reason": "Aflyst"}, headers=kif)
        assert cancelled.status_code == 200, cancelled.text
        started = time.monotonic()
        while statuses != {"sent"} and time.monotonic() - started < WITHIN_SECONDS:
            await anyio.sleep(0.02)
            found = (await client.get(f"{base}/cancellation", headers=kif)).json()
            statuses = {r["status"] for r in found["recipients"]}
        group.cancel_scope.cancel()
    assert statuses == {"sent"}, "the worker slept through the cancellation"


async def test_postgresql_notifies_a_worker_in_another_process(
    backend: str,
    engine: AsyncEngine,
    smtp: SmtpServer,
    clock: FixedClock,
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
) -> None:
    """A worker the service does not know of (as ``ksp outbox work`` is) hears NOTIFY."""
    if backend != "postgres":
        pytest.skip("SQLite has no notifications; its worker runs in the service's process")
    worker = worker_for(app, smtp, clock)
    took = await circulated_while_running(worker, engine, client, auth, units, keys)
    assert took is not None, "the notification did not wake the worker"
