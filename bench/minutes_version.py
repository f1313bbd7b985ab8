"""The latency of a new minutes (referat) version of a 50-case meeting with 100 actions, next
to a new list version of the same 50 cases, in the same run on the same ``ksp serve``
(issue 8: target p95 of the minutes ≤ 2× the list's).

Setup, over HTTP: a KiF unit calls a meeting; the jail submits ``cases + spare`` remand cases
and KiF triages each to ``meeting``; one change lists ``cases`` of them. Then the list part:
``warmup`` + ``versions`` list changes, each swapping one listed case for a spare (every
version holds ``cases`` people), timed one at a time on one keep-alive connection, exactly as
``bench/list_version.py`` does. Then the minutes part: attendance, one outcome per case on
the latest list with ``actions / cases`` actions each, and ``warmup`` + ``versions`` calls of
``POST /meetings/{id}/minutes``, timed the same way. Each minutes version reads the latest
attendance, the current outcomes and their actions and the latest list from the journal and
the index, builds the referat, encodes it canonically, encrypts it, appends a journal entry
and a signed checkpoint, and commits.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msgspec

from harness import (
    HOST,
    KSP,
    REQUEST_TIMEOUT_S,
    Backend,
    BenchError,
    HttpConnection,
    Server,
    log_tail,
    percentile_ms,
    request_head,
    running,
    wait_healthy,
)
from list_version import (
    KIF_UNIT,
    ListConfig,
    Outcome,
    cases_for_meeting,
    change_loop,
    expect,
    migrated_service,
    new_meeting,
    timed_post,
)

TARGET_MINUTES_TO_LIST = 2.0  # p95 of a minutes version / p95 of a list version
ATTENDEE = {
    "name": "Bench Sekretær",
    "agency": "kf",
    "unit": KIF_UNIT,
    "role": "secretary",
    "present": True,
    "confidentiality_acknowledged": True,
}


@dataclass(frozen=True)
class MinutesConfig:
    cases: int  # on the agenda (every list version)
    actions: int  # in all, spread evenly over the cases' outcomes
    versions: int  # measured, of the list and of the minutes each
    warmup: int  # of each, not counted
    setup_concurrency: int

    def as_json(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "actions": self.actions,
            "versions": self.versions,
            "warmup_versions": self.warmup,
            "client": "asyncio HTTP/1.1, one keep-alive connection, one version at a time",
            "target": f"minutes p95 <= {TARGET_MINUTES_TO_LIST}x list p95",
        }


async def meeting_of(client: httpx.AsyncClient, kif: dict[str, str]) -> tuple[str, dt.date]:
    """A meeting two weeks ahead (as the list bench calls it) and its day."""
    meeting_id = await new_meeting(client, kif)
    found = expect(await client.get(f"/api/v1/meetings/{meeting_id}", headers=kif), 200, "meeting")
    return meeting_id, dt.datetime.fromisoformat(found["scheduled_for"]).date()


async def latest_agenda(
    client: httpx.AsyncClient, kif: dict[str, str], meeting_id: str
) -> list[str]:
    """The case ids of the meeting's latest list version."""
    found = expect(
        await client.get(f"/api/v1/meetings/{meeting_id}/documents", headers=kif), 200, "versions"
    )
    latest = max(v["version"] for v in found["versions"] if v["kind"] == "list")
    url = f"/api/v1/documents/{found['document_id']}/versions/{latest}"
    return [
        e["case_id"] for e in expect(await client.get(url, headers=kif), 200, "list")["entries"]
    ]


async def hold_and_decide(
    client: httpx.AsyncClient,
    kif: dict[str, str],
    meeting_id: str,
    day: dt.date,
    config: MinutesConfig,
) -> int:
    """Attendance, then one outcome per case on the latest list; the actions made."""
    base = f"/api/v1/meetings/{meeting_id}"
    expect(
        await client.put(f"{base}/attendance", json={"attendees": [ATTENDEE]}, headers=kif),
        200,
        "attendance",
    )
    agenda = await latest_agenda(client, kif, meeting_id)
    per_case, extra = divmod(config.actions, len(agenda))
    made = 0
    for number, case_id in enumerate(agenda):
        actions = [
            {
                "agency": "municipality",
                "unit": "kommune-101",
                "description": f"Opfølgning {number}.{i}",
                "due_on": (day + dt.timedelta(days=7 + i)).isoformat(),
            }
            for i in range(per_case + (1 if number < extra else 0))
        ]
        body = {
            "case_id": case_id,
            "summary": "Drøftet",
            "decision": "follow-up",
            "actions": actions,
        }
        answer = expect(
            await client.post(f"{base}/outcomes", json=body, headers=kif), 201, "outcome"
        )
        made += len(answer["action_ids"])
    return made


async def minutes_loop(
    server: Server, kif_token: str, meeting_id: str, config: MinutesConfig
) -> tuple[list[float], Counter[str]]:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {kif_token}"}
    head = request_head(server.port, f"/api/v1/meetings/{meeting_id}/minutes", headers)
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    connection = HttpConnection(server.port)
    try:
        for number in range(config.warmup + config.versions):
            body = msgspec.json.encode({"reason": f"Bench: referat {number + 1}"})
            timed = await timed_post(connection, head, body, errors, f"minutes {number}")
            if timed is not None and number >= config.warmup:
                latencies.append(timed[0])
    finally:
        await connection.close()
    return latencies, errors


def latency_ms(latencies: list[float]) -> dict[str, float | None]:
    ordered = sorted(latencies)
    return {
        "p50": percentile_ms(ordered, 50),
        "p95": percentile_ms(ordered, 95),
        "max": percentile_ms(ordered, 100),
    }


async def session(server: Server, tokens: dict[str, str], config: MinutesConfig) -> dict[str, Any]:
    kif = {"Authorization": f"Bearer {tokens['kif']}"}
    arrest = {"Authorization": f"Bearer {tokens['arrest']}"}
    lists = ListConfig(
        persons=config.cases,
        changes=config.versions,
        warmup=config.warmup,
        spare=max(1, min(config.versions + config.warmup, 100)),
        setup_concurrency=config.setup_concurrency,
    )
    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{server.port}", timeout=REQUEST_TIMEOUT_S, trust_env=False
    ) as client:
        meeting_id, day = await meeting_of(client, kif)
        count = lists.persons + lists.spare
        case_ids = await cases_for_meeting(client, arrest, kif, count, lists.setup_concurrency)
        listed, spare = case_ids[: lists.persons], case_ids[lists.persons :]
        first = {"add": listed, "reason": "Bench: the first list"}
        made = await client.post(f"/api/v1/meetings/{meeting_id}/list", json=first, headers=kif)
        expect(made, 201, "version 1")
        list_outcome = Outcome()
        await change_loop(server, tokens["kif"], meeting_id, listed, spare, lists, list_outcome)
        actions = await hold_and_decide(client, kif, meeting_id, day, config)
    minutes, errors = await minutes_loop(server, tokens["kif"], meeting_id, config)
    list_latency = latency_ms(list_outcome.latencies or [])
    minutes_latency = latency_ms(minutes)
    ratio = (
        round(minutes_latency["p95"] / list_latency["p95"], 2)
        if minutes_latency["p95"] and list_latency["p95"]
        else None
    )
    return {
        "cases": config.cases,
        "actions": actions,
        "list_version_ms": list_latency,
        "list_versions": len(list_outcome.latencies or []),
        "minutes_version_ms": minutes_latency,
        "minutes_versions": len(minutes),
        "errors": sum((list_outcome.errors or Counter()).values()) + sum(errors.values()),
        "ratio_p95_minutes_to_list": ratio,
        "meets_target": ratio is not None and ratio <= TARGET_MINUTES_TO_LIST,
    }


def bench_minutes_version(
    backend: Backend, config: MinutesConfig, work: Path, cpus: frozenset[int] | None = None
) -> dict[str, Any]:
    """Migrate, issue tokens, serve; list versions, then minutes versions of one meeting."""
    port, env, tokens = migrated_service(backend, work)
    with running("service", [str(KSP), "serve"], env, port, work, cpus) as server:
        wait_healthy(server)
        result = asyncio.run(session(server, tokens, config))
        if server.process.poll() is not None:
            raise BenchError(f"the service died:\n{log_tail(server.log)}")
    if result["errors"]:
        print(
            f"versions answered with errors; the log ends:\n{log_tail(server.log)}", file=sys.stderr
        )
    return result
