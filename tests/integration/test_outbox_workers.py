"""The outbox under faults (issue 4): several workers never send a message twice; a worker
killed mid-batch and restarted loses nothing and repeats at most the one message it was
sending, with the same Message-ID so the receiver can drop it."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import POSTGRES_URL, SCHEMAS
from ksp.mail.worker import OutboxWorker
from support.clock import FixedClock
from support.data import Units
from support.deployment import smtp_env
from support.flows import Auth
from support.keys import KeyMaker
from support.participants import circulate_to, worker_for
from support.server import server_env
from support.smtp import SmtpServer

KSP = str(Path(sys.executable).with_name("ksp"))


async def test_two_workers_at_once_send_every_message_exactly_once(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
) -> None:
    """FOR UPDATE SKIP LOCKED (PostgreSQL): two workers never claim the same message."""
    sent = await circulate_to(client, auth, units, keys, 12)
    workers = [worker_for(app, smtp, clock) for _ in range(2)]

    async def drain(worker: OutboxWorker) -> None:
        # until nothing is due: messages other tests left queued are due too
        while await worker.run_once():
            pass

    await asyncio.gather(*(drain(w) for w in workers), *(drain(w) for w in workers))
    mine = [m for m in smtp.messages if set(m.recipients) & set(sent.emails)]
    assert sorted(r for m in mine for r in m.recipients) == sorted(sent.emails)
    assert len({m.message_id for m in mine}) == len(mine) == 12


def worker_env(backend: str, engine: AsyncEngine, smtp: SmtpServer, tmp: Path) -> dict[str, str]:
    env = server_env(tmp)
    if backend == "sqlite":
        env["KSP_DATABASE_URL"] = f"sqlite:///{engine.url.database}"
    else:
        assert POSTGRES_URL is not None
        env["KSP_DATABASE_URL"] = POSTGRES_URL
        env["KSP_DATABASE_SCHEMA"] = SCHEMAS[backend]
    env.update(smtp_env(smtp), KSP_OUTBOX_LEASE_SECONDS="1")
    return env


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def kill_mid_batch_and_restart(
    env: dict[str, str], smtp: SmtpServer, arrived: Callable[[], list[str]]
) -> None:
    """Start a worker against a slow server, SIGKILL it after 3 messages, run it again."""
    smtp.handler.delay = 0.2
    try:
        worker = subprocess.Popen(
            [KSP, "outbox", "work", "--poll", "0.2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: len(arrived()) >= 3)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        assert len(set(arrived())) < 12  # it died mid-batch
        smtp.handler.delay = 0.0
        time.sleep(1.5)  # the lease of the message it was sending runs out
        restarted = subprocess.run(
            [KSP, "outbox", "work", "--once"],
            env=env,
            timeout=120,
            capture_output=True,
            check=False,
        )
        assert restarted.returncode == 0, restarted.stderr
    finally:
        smtp.handler.delay = 0.0


async def test_a_worker_killed_mid_batch_and_restarted_loses_nothing(
    client: httpx.AsyncClient,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    smtp: SmtpServer,
    clock: FixedClock,
    backend: str,
    engine: AsyncEngine,
    tmp_path: Path,
) -> None:
    """SIGKILL a real `ksp outbox work` mid-batch, start it again: every message arrives, and
    at most the one in flight arrives twice, with the same Message-ID."""
    clock.set(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))  # due for the real clock
    sent = await circulate_to(client, auth, units, keys, 12)
    ours = set(sent.emails)

    def arrived() -> list[str]:
        return [m.message_id for m in smtp.messages if set(m.recipients) & ours]

    env = worker_env(backend, engine, smtp, tmp_path)
    await asyncio.to_thread(kill_mid_batch_and_restart, env, smtp, arrived)
    ids = arrived()
    assert len(set(ids)) == 12  # none lost
    assert len(ids) - len(set(ids)) <= 1  # at most the one in flight, same Message-ID
