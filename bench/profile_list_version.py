"""Where a list change's time goes: cProfile of the service in process, on SQLite.

Not part of ``make bench`` (the profiler slows pure-Python code more than C code, so these
are shares, not latencies). It sets up what ``bench/list_version.py`` sets up (a meeting,
``--persons`` triaged cases on version 1, spares), through the same HTTP API but with the
app in this process (``httpx.ASGITransport``, no uvicorn), makes ``--warmup`` changes, and
profiles ``--changes`` more. Besides the profile it prints the wall time of the service's
steps, by timing wrappers put around them in this process only (the code is unchanged).

    .venv/bin/python bench/profile_list_version.py [--changes 20] [--out list.prof]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import io
import pstats
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

import ksp.services.meetings as meeting_service
from harness import free_port, ksp, service_env, token
from ksp.api.app import create_app
from ksp.db.journal_store import SqlJournalStore
from ksp.db.meeting_stores import SqlDocumentStore, SqlMeetingStore
from ksp.db.stores import SqlCaseStore
from ksp.db.uow import SqlUnitOfWork
from ksp.observability import configure_logging
from ksp.services.meetings import MeetingService
from ksp.settings import load_settings
from list_version import ARREST_UNIT, KIF_UNIT, cases_for_meeting, expect, new_meeting

STEPS: dict[str, float] = defaultdict(float)


def timed_async(name: str, function: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    @functools.wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await function(*args, **kwargs)
        finally:
            STEPS[name] += time.perf_counter() - started

    return wrapper


def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            STEPS[name] += time.perf_counter() - started

    return wrapper


@contextmanager
def step_timers() -> Iterator[None]:
    """Timing wrappers around the steps of ``MeetingService.change_list``, then restored."""
    patches: list[tuple[object, str, Any]] = []

    def patch(owner: object, attribute: str, name: str, *, is_async: bool) -> None:
        original = getattr(owner, attribute)
        patches.append((owner, attribute, original))
        wrap = timed_async if is_async else timed
        setattr(owner, attribute, wrap(name, original))

    patch(MeetingService, "change_list", "MeetingService.change_list, in all", is_async=True)
    patch(SqlUnitOfWork, "commit", "commit", is_async=True)
    patch(SqlMeetingStore, "get", "meetings.get", is_async=True)
    patch(SqlDocumentStore, "of_meeting", "documents.of_meeting", is_async=True)
    patch(SqlJournalStore, "lock", "journal.lock", is_async=True)
    patch(SqlJournalStore, "plaintext", "read latest version (select + decrypt)", is_async=True)
    patch(SqlJournalStore, "append", "journal.append (seal, header, sign, insert)", is_async=True)
    patch(SqlJournalStore, "_tip", "  of which journal._tip", is_async=True)
    patch(SqlDocumentStore, "version", "documents.version", is_async=True)
    patch(SqlDocumentStore, "latest_version", "documents.latest_version", is_async=True)
    patch(SqlDocumentStore, "add_version", "documents.add_version", is_async=True)
    patch(SqlCaseStore, "get", "cases.get (added cases)", is_async=True)
    # The module's own name ``json``, not the json module: nothing else is timed.
    loads = timed("json.loads of the latest version", meeting_service.json.loads)
    patches.append((meeting_service, "json", meeting_service.json))
    meeting_service.json = SimpleNamespace(loads=loads)  # type: ignore[assignment]
    patch(meeting_service, "entries_of", "entries_of", is_async=False)
    patch(meeting_service, "apply_change", "apply_change", is_async=False)
    patch(meeting_service, "document_body", "document_body", is_async=False)
    patch(meeting_service, "canonical", "canonical (RFC 8785) of the new version", is_async=False)
    try:
        yield
    finally:
        for owner, attribute, original in reversed(patches):
            setattr(owner, attribute, original)


async def change(
    client: httpx.AsyncClient, kif: dict[str, str], meeting_id: str, body: dict[str, Any]
) -> float:
    started = time.perf_counter()
    made = await client.post(f"/api/v1/meetings/{meeting_id}/list", json=body, headers=kif)
    elapsed = time.perf_counter() - started
    expect(made, 201, "list change")
    return elapsed


async def profile(args: argparse.Namespace, work: Path) -> None:
    env = service_env(work / "ksp-data", f"sqlite:///{work / 'service.sqlite3'}", free_port())
    ksp(env, "db", "upgrade")
    kif = {"Authorization": f"Bearer {token(env, 'kif', KIF_UNIT, 'bench-kif')}"}
    arrest = {"Authorization": f"Bearer {token(env, 'arrest', ARREST_UNIT, 'bench-arrest')}"}
    settings = load_settings(env)
    configure_logging(settings.log_level)  # WARNING, as the benchmark serves
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ksp.bench") as client:
        meeting_id = await new_meeting(client, kif)
        count = args.persons + args.warmup + args.changes
        case_ids = await cases_for_meeting(client, arrest, kif, count, 1)
        on_list, waiting = case_ids[: args.persons], case_ids[args.persons :]
        first = await change(
            client, kif, meeting_id, {"add": on_list, "reason": "Bench: the first list"}
        )
        print(f"version 1 ({args.persons} persons added): {first * 1000:.1f} ms")
        rng = random.Random(7)
        profiler = cProfile.Profile()
        latencies = []
        for number in range(args.warmup + args.changes):
            at = rng.randrange(len(on_list))
            body = {
                "add": [waiting[number]],
                "remove": [on_list[at]],
                "reason": f"Bench: one person replaced ({number + 2})",
                "base_version": number + 1,
            }
            on_list[at] = waiting[number]
            if number < args.warmup:
                await change(client, kif, meeting_id, body)
            elif args.steps:
                with step_timers():
                    latencies.append(await change(client, kif, meeting_id, body))
            else:
                profiler.enable()
                latencies.append(await change(client, kif, meeting_id, body))
                profiler.disable()
    await app.state.engine.dispose()
    mean_ms = sum(latencies) / len(latencies) * 1000
    print(f"{len(latencies)} changes in process (ASGI, no uvicorn), mean {mean_ms:.1f} ms")
    if args.steps:
        print("wall time per change of the service's steps (ms):")
        for name, total in sorted(STEPS.items(), key=lambda item: -item[1]):
            print(f"  {total / len(latencies) * 1000:7.2f}  {name}")
        return
    if args.out:
        profiler.dump_stats(args.out)
    for sort in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(sort).print_stats(args.top)
        print(text.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--persons", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--top", type=int, default=30, help="rows of each profile listing")
    parser.add_argument("--steps", action="store_true", help="time steps instead of cProfile")
    parser.add_argument("--out", type=Path, help="write the cProfile stats here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ksp-profile-") as tmp:
        asyncio.run(profile(args, Path(tmp)))


if __name__ == "__main__":
    main()
