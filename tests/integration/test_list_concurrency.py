"""Two writers adding a version at once: one wins, the other gets 409; never a gap or a
duplicate (issue 3: advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import make_settings
from ksp.bootstrap import journal_signer
from ksp.crypto import FieldCipher
from ksp.db.engine import create_sessionmaker
from ksp.db.journal_store import SqlJournalStore
from support.data import Units
from support.flows import Auth, case_for_meeting, change_list, new_meeting
from support.journal_lock import held_journal_lock

WRITERS = 8
UPDATES = 10


async def writer(
    client: httpx.AsyncClient, kif: dict[str, str], meeting: str, cases: list[str]
) -> list[int]:
    statuses = []
    for case_id in cases:
        listed = await client.get(f"/api/v1/meetings/{meeting}/documents", headers=kif)
        versions = listed.json()["versions"]
        body: dict[str, object] = {"add": [case_id], "reason": "Samtidig opdatering"}
        if versions:
            body["base_version"] = versions[-1]["version"]
        response = await client.post(f"/api/v1/meetings/{meeting}/list", json=body, headers=kif)
        statuses.append(response.status_code)
    return statuses


async def test_eight_writers_times_ten_updates_give_contiguous_versions_and_409s(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """8 writers × 10 updates on one meeting: contiguous versions, every loser told 409,
    and a journal that verifies."""
    meeting = await new_meeting(client, auth, units)
    cases = [await case_for_meeting(client, auth, units) for _ in range(WRITERS * UPDATES)]
    kif = auth("kif", units.kif)
    results = await asyncio.gather(
        *(
            writer(client, kif, meeting, cases[w * UPDATES : (w + 1) * UPDATES])
            for w in range(WRITERS)
        )
    )
    statuses = Counter(status for result in results for status in result)
    assert set(statuses) <= {201, 409}
    assert statuses[201] + statuses[409] == WRITERS * UPDATES
    listed = await client.get(f"/api/v1/meetings/{meeting}/documents", headers=kif)
    versions = [v["version"] for v in listed.json()["versions"]]
    assert versions == list(range(1, statuses[201] + 1))
    counts = [v["entry_count"] for v in listed.json()["versions"]]
    assert counts == versions  # each accepted change added exactly one case
    verified = await client.get("/api/v1/audit/verify", headers=auth("auditor", units.auditor))
    assert verified.json()["ok"] is True


async def test_verifying_the_journal_does_not_wait_for_the_journal_lock(
    client: httpx.AsyncClient, engine: AsyncEngine, backend: str, auth: Auth, units: Units
) -> None:
    """An auditor's verification reads one snapshot instead of taking the lock, so it
    neither waits for list changes nor holds them up while it reads a long journal."""
    if backend != "postgres":
        pytest.skip("SQLite's transactions are serial: there every read queues")
    meeting = await new_meeting(client, auth, units)
    case_id = await case_for_meeting(client, auth, units)
    made = await change_list(client, auth, units, meeting, add=[case_id])
    assert made.status_code == 201
    auditor = auth("auditor", units.auditor)
    async with held_journal_lock(engine):
        verified = await asyncio.wait_for(
            client.get("/api/v1/audit/verify", headers=auditor), timeout=60
        )
    assert verified.status_code == 200
    assert verified.json()["ok"] is True


async def test_a_journal_snapshot_is_repeatable_read_and_read_only(
    engine: AsyncEngine, backend: str, tmp_path: Path
) -> None:
    """What verification relies on instead of the lock: one snapshot for all its reads."""
    if backend != "postgres":
        pytest.skip("SQLite's transactions are serial already")
    settings = make_settings(tmp_path)
    async with create_sessionmaker(engine)() as session:
        store = SqlJournalStore(
            session,
            FieldCipher(settings.data_keys, settings.data_key_id),
            journal_signer(settings),
        )
        await store.snapshot()
        isolation = await session.scalar(text("SHOW transaction_isolation"))
        read_only = await session.scalar(text("SHOW transaction_read_only"))
    assert (isolation, read_only) == ("repeatable read", "on")
