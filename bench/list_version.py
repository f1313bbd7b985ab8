"""The latency of a new version of a 200-person KSP list, through HTTP on ``ksp serve``.

Setup, over HTTP with tokens from ``ksp token``: a KiF unit calls a meeting; the jail
submits ``persons + spare`` remand cases for it and KiF triages each to ``meeting``; one
change adds ``persons`` of them (version 1, timed once and reported apart: it reads every
added case). Then ``warmup`` and ``changes`` list changes, one at a time on one keep-alive
connection (latency, not throughput), each removing one listed case and adding one that is
not listed, with the right ``base_version``: every version holds ``persons`` people. A
removed case becomes a spare again, so any number of changes works with few spares.

Each change is a whole journalised version: the service reads the latest version from the
journal (decrypting and parsing it), checks the added case, builds the new document,
encodes it canonically, encrypts it, appends a journal entry and a signed checkpoint, and
commits. ``server_cpu_ms`` is the server's CPU time per measured change: close to the
latency, the time is the service's Python; well below it, the database or the disk.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msgspec

from harness import (
    HOST,
    KSP,
    REQUEST_ERRORS,
    REQUEST_TIMEOUT_S,
    Backend,
    BenchError,
    HttpConnection,
    Server,
    case_bodies,
    free_port,
    ksp,
    log_tail,
    percentile_ms,
    process_cpu_s,
    request_head,
    running,
    service_env,
    token,
    wait_healthy,
)

KIF_UNIT = "kif-hovedstaden"
ARREST_UNIT = "arrest-bench"


@dataclass(frozen=True)
class ListConfig:
    persons: int  # on every version
    changes: int  # measured
    warmup: int  # changes before the measured ones, not counted
    spare: int  # cases submitted beyond ``persons``, to add
    setup_concurrency: int  # parallel requests while submitting and triaging

    def as_json(self) -> dict[str, Any]:
        return {
            "persons": self.persons,
            "changes": self.changes,
            "warmup_changes": self.warmup,
            "spare_cases": self.spare,
            "client": "asyncio HTTP/1.1, one keep-alive connection, one change at a time",
        }


@dataclass
class Outcome:
    first_version_s: float = 0.0
    latencies: list[float] | None = None
    errors: Counter[str] | None = None
    server_cpu_s: float = 0.0
    setup_s: float = 0.0
    versions: int = 0  # as the service lists them at the end
    persons_per_version: list[int] | None = None  # the distinct entry counts of those


# Setup over HTTP --------------------------------------------------------------------------


def expect(response: httpx.Response, status: int, what: str) -> dict[str, Any]:
    if response.status_code != status:
        raise BenchError(f"{what}: {response.status_code} {response.text[:500]}")
    body: dict[str, Any] = response.json()
    return body


async def new_meeting(client: httpx.AsyncClient, kif: dict[str, str]) -> str:
    scheduled = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=14)
    body = {
        "municipality_code": 101,
        "police_district": "koebenhavn",
        "scheduled_for": scheduled.isoformat(),
        "title": "Bench",
    }
    made = expect(await client.post("/api/v1/meetings", json=body, headers=kif), 201, "meeting")
    return str(made["id"])


async def cases_for_meeting(
    client: httpx.AsyncClient,
    arrest: dict[str, str],
    kif: dict[str, str],
    count: int,
    concurrency: int,
) -> list[str]:
    """``count`` cases submitted by the jail and triaged to ``meeting`` by KiF, in order."""
    bodies = case_bodies(dt.datetime.now(dt.UTC).date(), KIF_UNIT)
    rng = random.Random(20261127)
    gate = asyncio.Semaphore(concurrency)
    json_headers = {**arrest, "Content-Type": "application/json"}

    async def one(body: bytes) -> str:
        async with gate:
            created = await client.post("/api/v1/cases", content=body, headers=json_headers)
            case_id = str(expect(created, 201, "case")["id"])
            triaged = await client.post(
                f"/api/v1/cases/{case_id}/triage", json={"decision": "meeting"}, headers=kif
            )
            expect(triaged, 200, "triage")
            return case_id

    return list(await asyncio.gather(*(one(bodies(rng)) for _ in range(count))))


# The measured changes ---------------------------------------------------------------------


async def timed_post(
    connection: HttpConnection, head: bytes, body: bytes, errors: Counter[str], what: str
) -> tuple[float, bytes] | None:
    """One POST on the keep-alive connection: its seconds and answer if it made something
    (201); else None, the failure counted in ``errors`` (the first few printed)."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_S):
            status, answer = await connection.exchange(head, body)
    except REQUEST_ERRORS as exc:
        errors[type(exc).__name__] += 1
        await connection.close()
        return None
    elapsed = time.perf_counter() - started
    if status != 201:
        errors[str(status)] += 1
        if errors.total() <= 3:
            print(f"{what}: {status} {answer[:300]!r}", file=sys.stderr)
        return None
    return elapsed, answer


async def change_loop(
    server: Server,
    kif_token: str,
    meeting_id: str,
    listed: list[str],
    spare: list[str],
    config: ListConfig,
    outcome: Outcome,
) -> None:
    """Version 2 onwards: each change swaps one listed case for a spare, one at a time."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {kif_token}"}
    head = request_head(server.port, f"/api/v1/meetings/{meeting_id}/list", headers)
    rng = random.Random(7)
    on_list, waiting = list(listed), deque(spare)
    version, latencies, errors = 1, [], Counter[str]()
    connection = HttpConnection(server.port)
    cpu_before = 0.0
    try:
        for number in range(config.warmup + config.changes):
            if number == config.warmup:
                cpu_before = process_cpu_s(server.process.pid)
            at = rng.randrange(len(on_list))
            removed, added = on_list[at], waiting[0]
            body = msgspec.json.encode(
                {
                    "add": [added],
                    "remove": [removed],
                    "reason": f"Bench: one person replaced ({number + 2})",
                    "base_version": version,
                }
            )
            timed = await timed_post(connection, head, body, errors, f"list change {number}")
            if timed is None:
                continue
            elapsed, answer = timed
            made = msgspec.json.decode(answer).get("version")
            if made != version + 1:
                errors["unexpected version"] += 1
            version = made if isinstance(made, int) else version + 1
            on_list[at] = added
            waiting.popleft()
            waiting.append(removed)
            if number >= config.warmup:
                latencies.append(elapsed)
    finally:
        await connection.close()
    outcome.server_cpu_s = process_cpu_s(server.process.pid) - cpu_before
    outcome.latencies, outcome.errors = latencies, errors


async def session(
    server: Server, tokens: dict[str, str], config: ListConfig, outcome: Outcome
) -> None:
    kif = {"Authorization": f"Bearer {tokens['kif']}"}
    arrest = {"Authorization": f"Bearer {tokens['arrest']}"}
    base_url = f"http://{HOST}:{server.port}"
    started = time.perf_counter()
    async with httpx.AsyncClient(
        base_url=base_url, timeout=REQUEST_TIMEOUT_S, trust_env=False
    ) as client:
        meeting_id = await new_meeting(client, kif)
        count = config.persons + config.spare
        case_ids = await cases_for_meeting(client, arrest, kif, count, config.setup_concurrency)
        listed, spare = case_ids[: config.persons], case_ids[config.persons :]
        outcome.setup_s = time.perf_counter() - started
        first = {"add": listed, "reason": "Bench: the first list"}
        started = time.perf_counter()
        made = await client.post(f"/api/v1/meetings/{meeting_id}/list", json=first, headers=kif)
        outcome.first_version_s = time.perf_counter() - started
        if expect(made, 201, "version 1")["version"] != 1:
            raise BenchError(f"version 1 came back as {made.text[:300]}")
    await change_loop(server, tokens["kif"], meeting_id, listed, spare, config, outcome)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=REQUEST_TIMEOUT_S, trust_env=False
    ) as client:
        found = await client.get(f"/api/v1/meetings/{meeting_id}/documents", headers=kif)
        versions = expect(found, 200, "the versions")["versions"]
    outcome.versions = len(versions)
    outcome.persons_per_version = sorted({v["entry_count"] for v in versions})


def summary(outcome: Outcome) -> dict[str, Any]:
    latencies = outcome.latencies or []
    errors = outcome.errors or Counter()
    ordered = sorted(latencies)
    count = len(ordered)
    return {
        "changes": count,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "latency_ms": {
            "p50": percentile_ms(ordered, 50),
            "p95": percentile_ms(ordered, 95),
            "mean": round(sum(ordered) / count * 1000, 1) if count else None,
            "max": percentile_ms(ordered, 100),
            "min": round(ordered[0] * 1000, 1) if count else None,
        },
        "server_cpu_ms": round(outcome.server_cpu_s / count * 1000, 1) if count else None,
        "first_version_ms": round(outcome.first_version_s * 1000, 1),
        "setup_s": round(outcome.setup_s, 1),
        "versions": outcome.versions,
        "persons_per_version": outcome.persons_per_version,
    }


def migrated_service(
    backend: Backend, work: Path, extra_env: dict[str, str] | None = None
) -> tuple[int, dict[str, str], dict[str, str]]:
    """A port, the service's environment on a migrated database, and KiF's and the jail's
    tokens. ``extra_env``: more KSP_* settings of the service (the witnesses' bench)."""
    port = free_port()
    env = service_env(work / "ksp-data", backend.service_url, port) | (extra_env or {})
    ksp(env, "db", "upgrade")
    tokens = {
        "kif": token(env, "kif", KIF_UNIT, "bench-kif"),
        "arrest": token(env, "arrest", ARREST_UNIT, "bench-arrest"),
    }
    return port, env, tokens


def bench_list_version(
    backend: Backend,
    config: ListConfig,
    work: Path,
    cpus: frozenset[int] | None = None,
    extra_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Migrate, issue tokens, serve, set the list up and change it; the latencies.
    ``extra_env``: more KSP_* settings of the service (the witnesses' bench)."""
    port, env, tokens = migrated_service(backend, work, extra_env)
    outcome = Outcome()
    with running("service", [str(KSP), "serve"], env, port, work, cpus) as server:
        wait_healthy(server)
        asyncio.run(session(server, tokens, config, outcome))
        if server.process.poll() is not None:
            raise BenchError(f"the service died:\n{log_tail(server.log)}")
    result = summary(outcome)
    if result["errors"]:
        tail = log_tail(server.log)
        print(f"list changes answered with errors; the log ends:\n{tail}", file=sys.stderr)
    return result
