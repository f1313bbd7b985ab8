"""Finding 13: /audit/verify and /audit/export run in bounded memory whatever the entry size.

The journal is read in batches bounded in bytes (keyset on seq), and the export is sent as a
stream of lines. Each test here has a journal of its own, of large entries, so the shared
journal of the other tests stays small.
"""

from __future__ import annotations

import datetime as dt
import os
import tracemalloc
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import msgspec
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import TokenFactory, migrated_database
from ksp.api.app import create_app
from ksp.services.audit import BATCH_BYTES
from ksp.settings import Settings
from support.clock import FixedClock

MIB = 1024 * 1024
ENTRY_BYTES = MIB
ENTRIES = 40  # 40 MiB of content: five times a batch


@pytest.fixture(scope="module")
async def own_engine(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    """A migrated, empty database of the backend for this module alone."""
    async with migrated_database(backend, tmp_path_factory, "ksp_batches") as (engine, _):
        yield engine


@pytest.fixture(scope="module")
async def large_journal(own_engine: AsyncEngine, settings: Settings) -> AsyncIterator[Litestar]:
    """The app over a journal of ``ENTRIES`` entries of ``ENTRY_BYTES`` incompressible bytes."""
    app = create_app(settings, engine=own_engine, clock=FixedClock())
    for n in range(ENTRIES):
        async with app.state.uow() as uow:
            await uow.journal.lock()
            await uow.journal.append(
                kind="bench-blob",
                ref=f"blob/{n}",
                author="test",
                created_at=dt.datetime(2026, 11, 27, tzinfo=dt.UTC),
                plaintext=os.urandom(ENTRY_BYTES),
            )
            await uow.commit()
    yield app
    app.state.mail.close()


class Received:
    """The response as a client sees it, chunk by chunk, keeping only sizes and the tail."""

    def __init__(self) -> None:
        self.status = 0
        self.chunks: list[int] = []
        self.last_line = b""


async def get(app: Litestar, path: str, headers: dict[str, str]) -> tuple[Received, int]:
    """One GET through the ASGI app; the response's chunks are dropped as they arrive.

    Returns what was received and the peak of traced memory during the request."""
    received = Received()
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"ksp.test")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("ksp.test", 80),
    }
    requested, done = False, anyio.Event()

    async def receive() -> dict[str, Any]:
        """The request, then (as a client hanging up) a disconnect once the body is sent."""
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            received.status = message["status"]
        elif message["type"] == "http.response.body":
            if message.get("body"):
                received.chunks.append(len(message["body"]))
                received.last_line = message["body"].rstrip(b"\n").rsplit(b"\n", 1)[-1]
            if not message.get("more_body"):
                done.set()

    with traced() as peak:
        await app(scope, receive, send)  # type: ignore[arg-type]
    return received, peak()


class traced:  # noqa: N801 - used as a context manager, like contextlib's
    """tracemalloc around a block; calling the result gives the block's peak in bytes."""

    def __enter__(self) -> Callable[[], int]:
        tracemalloc.start()
        tracemalloc.reset_peak()
        self._base = tracemalloc.get_traced_memory()[0]
        self._peak = 0
        return lambda: self._peak

    def __exit__(self, *_: object) -> None:
        self._peak = tracemalloc.get_traced_memory()[1] - self._base
        tracemalloc.stop()


async def test_a_batch_of_the_journal_holds_at_most_its_byte_budget(
    large_journal: Litestar,
) -> None:
    """Keyset batches on seq: as many entries as fit in the budget, one if one is larger."""
    async with large_journal.state.uow() as uow:
        sizes = []
        after = 0
        while batch := await uow.journal.stored(after, 1000, max_bytes=int(2.5 * ENTRY_BYTES)):
            sizes.append(len(batch))
            after = batch[-1].seq
        assert sizes == [2] * (ENTRIES // 2)
        one_each = await uow.journal.stored(0, 1000, max_bytes=ENTRY_BYTES // 2)
        assert [entry.seq for entry in one_each] == [1]
        by_count = await uow.journal.stored(0, 3)
        assert [entry.seq for entry in by_count] == [1, 2, 3]


async def test_the_export_of_large_entries_is_streamed_in_bounded_memory(
    large_journal: Litestar, auth: TokenFactory
) -> None:
    """40 MiB of entries (53 MiB of base64) leave as one chunk per line, while memory holds
    a batch or two (8 MiB each; 16 MiB measured here), never the journal (40 MiB and more
    when it was read in pages of 1,000 entries)."""
    headers = auth("auditor", "intern-revision")
    received, peak = await get(large_journal, "/api/v1/audit/export", headers)
    assert received.status == 200
    assert len(received.chunks) >= 1 + ENTRIES + ENTRIES  # manifest, entries, checkpoints
    assert max(received.chunks) < 2 * ENTRY_BYTES
    assert sum(received.chunks) > ENTRIES * ENTRY_BYTES * 4 // 3
    assert msgspec.json.decode(received.last_line)["type"] == "checkpoint"
    assert peak < 3 * BATCH_BYTES < ENTRIES * ENTRY_BYTES, f"{peak / MIB:.1f} MiB at the peak"


async def test_the_verification_of_large_entries_runs_in_bounded_memory(
    large_journal: Litestar, auth: TokenFactory
) -> None:
    """Every entry is decrypted and checked, one batch in memory at a time (9 MiB measured)."""
    headers = auth("auditor", "intern-revision")
    received, peak = await get(large_journal, "/api/v1/audit/verify", headers)
    assert received.status == 200
    assert received.last_line.startswith(b'{"ok":true')
    assert peak < 3 * BATCH_BYTES < ENTRIES * ENTRY_BYTES, f"{peak / MIB:.1f} MiB at the peak"
