"""Where the time of a circulate call goes: the service in process, on SQLite.

Not part of ``make bench``. It sets up what ``bench/circulation.py`` sets up (a meeting
whose list holds ``--persons`` cases, ``--recipients`` registered recipients with keys of
their own, all participants), through the same HTTP API but with the app in this process
(``httpx.ASGITransport``: no uvicorn, and no outbox worker, since the lifespan does not run;
nothing is sent). It circulates ``--warmup`` versions, then ``--circulations`` more with
timing wrappers around the steps of ``CirculationService.circulate`` (in this process only;
the code is unchanged), and prints their wall time per circulation.

Steps run in worker threads, four encryptions at a time, are summed over the threads
("thread-s"), so they can add up to more than the call's wall time.

    .venv/bin/python bench/profile_circulation.py [--circulations 5]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import tempfile
import threading
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

import ksp.bootstrap as app_module  # the composition root hands render_printable to the service
from circulation import MAIL_FROM, Listing, make_recipients, next_version, register_all
from harness import free_port, ksp, service_env, token
from ksp.api.app import create_app
from ksp.db.journal_store import SqlJournalStore
from ksp.db.mail_stores import SqlCirculationStore, SqlRecipientStore
from ksp.db.stores import SqlAccessLogStore
from ksp.db.uow import SqlUnitOfWork
from ksp.mail.keyring import Keyring
from ksp.mail.secure import EnvelopeMail, GpgSecureMail
from ksp.observability import configure_logging
from ksp.services.circulation import CirculationService
from ksp.services.recipients import RecipientService
from ksp.services.sealing import Sealer
from ksp.settings import load_settings
from list_version import ARREST_UNIT, KIF_UNIT, cases_for_meeting, expect, new_meeting
from mail_support import KeyMaker

STEPS: dict[str, float] = defaultdict(float)
COUNTS: dict[str, int] = defaultdict(int)
LOCK = threading.Lock()
RENDER = "  render_printable (Jinja2)"
# In the order the service runs them; indented: part of the step above.
ORDER = (
    "circulate, in all",
    "read the version (_latest)",
    "recipients.participants",
    "check every key (check_keys)",
    "  of which usable_all: one gpg --check-sigs",
    "journal.plaintext (twice)",
    "render and print (Sealer.content)",
    RENDER,
    "encrypt all (Sealer.seal)",
    "  seal: MIME + encrypt (thread-s)",
    "  of which encrypt_and_sign (thread-s)",
    "circulations.add",
    "circulations.queue (each message)",
    "access_log.record",
    "commit",
)


def record(name: str, seconds: float) -> None:
    with LOCK:
        STEPS[name] += seconds
        COUNTS[name] += 1


def timed_async(name: str, function: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    @functools.wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await function(*args, **kwargs)
        finally:
            record(name, time.perf_counter() - started)

    return wrapper


def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            record(name, time.perf_counter() - started)

    return wrapper


@contextmanager
def step_timers() -> Iterator[None]:
    """Timing wrappers around the steps of ``CirculationService.circulate``, then restored."""
    patches: list[tuple[object, str, Any]] = []

    def patch(owner: object, attribute: str, name: str, *, is_async: bool) -> None:
        original = getattr(owner, attribute)
        patches.append((owner, attribute, original))
        setattr(owner, attribute, (timed_async if is_async else timed)(name, original))

    patch(CirculationService, "circulate", ORDER[0], is_async=True)
    patch(CirculationService, "_latest", ORDER[1], is_async=True)
    patch(SqlRecipientStore, "participants", ORDER[2], is_async=True)
    patch(RecipientService, "check_keys", ORDER[3], is_async=True)
    patch(GpgSecureMail, "usable_all", ORDER[4], is_async=False)
    patch(SqlJournalStore, "plaintext", ORDER[5], is_async=True)
    patch(Sealer, "content", ORDER[6], is_async=True)
    patch(Sealer, "seal", ORDER[8], is_async=True)
    patch(EnvelopeMail, "seal", ORDER[9], is_async=False)
    patch(Keyring, "encrypt_and_sign", ORDER[10], is_async=False)
    patch(SqlCirculationStore, "add", ORDER[11], is_async=True)
    patch(SqlCirculationStore, "queue", ORDER[12], is_async=True)
    patch(SqlAccessLogStore, "record", ORDER[13], is_async=True)
    patch(SqlUnitOfWork, "commit", ORDER[14], is_async=True)
    try:
        yield
    finally:
        for owner, attribute, original in reversed(patches):
            setattr(owner, attribute, original)


async def profile(args: argparse.Namespace, work: Path) -> None:
    env = service_env(work / "ksp-data", f"sqlite:///{work / 'service.sqlite3'}", free_port())
    env["KSP_MAIL_FROM"] = MAIL_FROM
    ksp(env, "init")  # the data dir, its secrets and the service key, made once
    ksp(env, "db", "upgrade")
    ksp(env, "mail", "key")  # the service's signing key, made before it serves
    kif = {"Authorization": f"Bearer {token(env, 'kif', KIF_UNIT, 'bench-kif')}"}
    arrest = {"Authorization": f"Bearer {token(env, 'arrest', ARREST_UNIT, 'bench-arrest')}"}
    settings = load_settings(env)
    configure_logging(settings.log_level)
    render = app_module.render_printable
    app_module.render_printable = timed(RENDER, render)  # type: ignore[assignment]
    app = create_app(settings)
    with KeyMaker(work / "recipients-gnupg") as keys:
        recipients = make_recipients(keys, args.recipients)
    transport = httpx.ASGITransport(app=app)
    latencies = []
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://ksp.bench") as client:
            meeting_id = await new_meeting(client, kif)
            count = args.persons + args.warmup + args.circulations
            case_ids = await cases_for_meeting(client, arrest, kif, count, 1)
            on_list, spare = case_ids[: args.persons], case_ids[args.persons :]
            first = {"add": on_list, "reason": "Bench: the first list"}
            made = await client.post(f"/api/v1/meetings/{meeting_id}/list", json=first, headers=kif)
            document_id = str(expect(made, 201, "version 1")["document_id"])
            await register_all(client, kif, recipients, meeting_id)
            listing = Listing(meeting_id, document_id, 1, on_list, deque(spare))
            for number in range(args.warmup + args.circulations):
                await next_version(client, kif, listing)
                path = f"/api/v1/documents/{document_id}/versions/{listing.version}/circulate"
                if number < args.warmup:
                    expect(await client.post(path, headers=kif), 202, "circulate")
                    continue
                with step_timers():
                    started = time.perf_counter()
                    expect(await client.post(path, headers=kif), 202, "circulate")
                    latencies.append(time.perf_counter() - started)
    finally:
        app_module.render_printable = render  # type: ignore[assignment]
        app.state.mail.close()
        await app.state.engine.dispose()
    runs = len(latencies)
    print(
        f"{runs} circulations to {args.recipients} recipients in process (ASGI, no uvicorn), "
        f"mean {sum(latencies) / runs * 1000:.1f} ms"
    )
    print("wall time per circulation of the service's steps (ms), and calls per circulation:")
    for name in ORDER:
        print(f"  {STEPS[name] / runs * 1000:8.1f}  {COUNTS[name] / runs:5.0f}x  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--recipients", type=int, default=30)
    parser.add_argument("--persons", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--circulations", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ksp-profile-") as tmp:
        asyncio.run(profile(args, Path(tmp)))


if __name__ == "__main__":
    main()
